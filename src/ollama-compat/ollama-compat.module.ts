import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { OllamaCompatController } from './ollama-compat.controller';
import { OllamaCompatService } from './ollama-compat.service';

/** Knowledge bases as Ollama models at /ollama (views of the chat service's answers). */
@Module({
  imports: [ChatModule],
  controllers: [OllamaCompatController],
  providers: [OllamaCompatService],
})
export class OllamaCompatModule {}
