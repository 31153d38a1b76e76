import * as fs from 'node:fs';
import { DynamicModule, Module, Type } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import { AuthModule } from './auth/auth.module';
import { ChatModule } from './chat/chat.module';
import { AppConfig, ServiceRole } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { LoggingModule } from './common/http/logging.module';
import { QueueModule } from './common/queue/queue.module';
import { DatabaseModule } from './database/database.module';
import { DocumentsCoreModule } from './documents/documents-core.module';
import { DocumentsModule } from './documents/documents.module';
import { HealthDetailsModule, HealthModule } from './health/health.module';
import { IngestionQueueModule } from './ingestion/ingestion-queue.module';
import { IngestionWorkerModule } from './ingestion/ingestion-worker.module';
import { IngestionModule } from './ingestion/ingestion.module';
import { KnowledgeBasesCoreModule } from './knowledge-bases/knowledge-bases-core.module';
import { KnowledgeBasesModule } from './knowledge-bases/knowledge-bases.module';
import { LlmModule } from './llm/llm.module';
import { ModelsModule } from './llm/models.module';
import { McpModule } from './mcp/mcp.module';
import { OllamaCompatModule } from './ollama-compat/ollama-compat.module';
import { RetrievalModule } from './retrieval/retrieval.module';

/**
 * Everything both roles need: config, logs, database, queue, Ollama, health, and the stores of knowledge
 * bases and documents with the queue they hand work to.
 */
const CORE_MODULES: Type[] = [
  AppConfigModule,
  LoggingModule,
  DatabaseModule,
  QueueModule,
  LlmModule,
  HealthModule,
  KnowledgeBasesCoreModule,
  DocumentsCoreModule,
  IngestionQueueModule,
];

/** The HTTP API. */
const API_MODULES: Type[] = [
  AuthModule,
  KnowledgeBasesModule,
  DocumentsModule,
  IngestionModule,
  RetrievalModule,
  ChatModule,
  OllamaCompatModule,
  ModelsModule,
  HealthDetailsModule,
  McpModule,
];

/** Bull processors and the reconciler; run them on as many machines as you like with ROLE=worker. */
const WORKER_MODULES: Type[] = [IngestionWorkerModule];

/**
 * API and worker are the same code started in two roles (ROLE=api|worker|all), so workers scale out
 * on other machines. A worker still answers /health.
 */
@Module({})
export class AppModule {
  static forRole(role: ServiceRole, config?: Pick<AppConfig, 'webDir'>): DynamicModule {
    const imports: (Type | DynamicModule)[] = [...CORE_MODULES];
    if (role !== 'worker') imports.push(...API_MODULES);
    if (role !== 'api') imports.push(...WORKER_MODULES);
    if (role !== 'worker' && config?.webDir && fs.existsSync(`${config.webDir}/index.html`)) {
      imports.push(
        ServeStaticModule.forRoot({
          rootPath: config.webDir,
          exclude: [
            '/api/{*rest}',
            '/v1/{*rest}',
            '/ollama',
            '/ollama/{*rest}',
            '/mcp',
            '/health',
            '/docs',
            '/docs/{*rest}',
            '/docs-json',
          ],
        }),
      );
    }
    return { module: AppModule, imports };
  }
}
