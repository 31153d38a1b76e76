import { Module } from '@nestjs/common';
import { ModelsController } from './models.controller';
import { ModelsService } from './models.service';

/** The models API (list, pull). API role only; the Ollama client itself comes from the global LlmModule. */
@Module({
  controllers: [ModelsController],
  providers: [ModelsService],
})
export class ModelsModule {}
