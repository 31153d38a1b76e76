import { Global, Module } from '@nestjs/common';
import { OllamaClientService } from './ollama-client.service';

/** Global: embeddings and chat are needed by ingestion, retrieval, chat and health alike. */
@Global()
@Module({
  providers: [OllamaClientService],
  exports: [OllamaClientService],
})
export class LlmModule {}
