import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { Queue } from 'bull';
import { INGESTION_QUEUE } from '../common/queue/queue.constants';
import { OllamaClientService } from '../llm/ollama-client.service';

@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly ollama: OllamaClientService,
    @InjectQueue(INGESTION_QUEUE) private readonly queue: Queue,
  ) {}

  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 3_000 }),
      () => this.checkRedis(),
      () => this.checkOllama(),
    ]);
  }

  private async checkRedis() {
    const indicator = this.indicators.check('redis');
    try {
      const client = this.queue.client;
      const pong = await withTimeout(client.ping(), 3_000);
      return pong === 'PONG' ? indicator.up() : indicator.down({ message: `unexpected reply ${pong}` });
    } catch (err) {
      return indicator.down({ message: `Cannot reach Redis: ${(err as Error).message}` });
    }
  }

  /** Down when Ollama is unreachable or a configured model is missing; the details say how to fix it. */
  private async checkOllama() {
    const indicator = this.indicators.check('ollama');
    const status = await this.ollama.checkModels();
    const missing = [status.models.embedding, status.models.chat].filter((m) => !m.present).map((m) => m.name);
    const details = {
      url: status.url,
      version: status.version,
      models: status.models,
    };
    if (!status.reachable) return indicator.down({ ...details, message: status.error ?? 'Ollama is unreachable' });
    if (missing.length) {
      return indicator.down({
        ...details,
        message: `Ollama is reachable but these models are missing: ${missing.join(', ')}. Run: ${missing
          .map((m) => `ollama pull ${m}`)
          .join(' && ')}`,
      });
    }
    return indicator.up(details);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    );
  });
}
