import { InjectQueue } from '@nestjs/bull';
import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { Queue } from 'bull';
import { INGESTION_QUEUE } from '../common/queue/queue.constants';
import { OllamaClientService } from '../llm/ollama-client.service';

/**
 * Who reads the report. `public` (no sign-in): up or down per component. `member`: also which models are
 * configured and present, and what is wrong in words without addresses. `admin`: everything, with the fix.
 */
export type HealthAudience = 'public' | 'member' | 'admin';

@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly ollama: OllamaClientService,
    @InjectQueue(INGESTION_QUEUE) private readonly queue: Queue,
  ) {}

  /** Database, Redis and Ollama, each up or down, as `audience` may see them; 503 when any is down. */
  async check(audience: HealthAudience): Promise<HealthCheckResult> {
    try {
      return redact(
        await this.health.check([
          () => this.db.pingCheck('database', { timeout: 3_000 }),
          () => this.checkRedis(),
          () => this.checkOllama(audience),
        ]),
        audience,
      );
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      throw new ServiceUnavailableException(redact(err.getResponse() as HealthCheckResult, audience));
    }
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
  private async checkOllama(audience: HealthAudience) {
    const indicator = this.indicators.check('ollama');
    const status = await this.ollama.checkModels();
    const missing = [status.models.embedding, status.models.chat].filter((m) => !m.present).map((m) => m.name);
    const pull = missing.map((m) => `ollama pull ${m}`).join(' && ');
    if (audience !== 'admin') {
      const models = { reachable: status.reachable, models: status.models };
      if (!status.reachable) {
        return indicator.down({
          ...models,
          message: 'Cannot reach Ollama, the model server. An administrator can see why on the Models page.',
        });
      }
      if (missing.length) {
        return indicator.down({
          ...models,
          message: `These models are missing in Ollama: ${missing.join(', ')}. An administrator can install them: ${pull}`,
        });
      }
      return indicator.up(models);
    }
    const details = { reachable: status.reachable, url: status.url, version: status.version, models: status.models };
    if (!status.reachable) return indicator.down({ ...details, message: status.error ?? 'Ollama is unreachable' });
    if (missing.length) {
      return indicator.down({
        ...details,
        message: `Ollama is reachable but these models are missing: ${missing.join(', ')}. Run: ${pull}`,
      });
    }
    return indicator.up(details);
  }
}

/** Keeps what `audience` may see: only each component's status in public, and no Redis or database words for members. */
function redact(result: HealthCheckResult, audience: HealthAudience): HealthCheckResult {
  if (audience === 'admin') return result;
  const keep = <T extends Partial<HealthIndicatorResult> | undefined>(components: T): T =>
    components &&
    (Object.fromEntries(
      Object.entries(components).map(([name, component]) => [
        name,
        audience === 'member' && name === 'ollama' ? component : { status: component?.status },
      ]),
    ) as T);
  return { status: result.status, info: keep(result.info), error: keep(result.error), details: keep(result.details) };
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
