import { Injectable, Logger } from '@nestjs/common';
import { Principal } from '../auth/principal';
import { DomainError } from '../common/errors/domain-error';
import type { ModelSummary, PullProgress } from './llm.types';
import { OllamaClientService } from './ollama-client.service';
import { OllamaStreamError } from './ollama-errors';

/** An installed model, named the way the admin UI reads it (web/src/api/index.ts → toModel). */
export type InstalledModel = Omit<ModelSummary, 'quantization'> & {
  quantizationLevel?: string;
  /** From /api/show (`embedding`, `completion`, …); left out when Ollama is too old to say or did not answer. */
  capabilities?: string[];
};

export interface ModelList {
  /** The Ollama server zhiku talks to (OLLAMA_BASE_URL); shown to administrators only. */
  url?: string;
  models: InstalledModel[];
}

/** One server-sent event of a pull: Ollama's progress lines, then `done` or `error`. */
export type PullEvent =
  | { event: 'progress'; data: PullProgress }
  | { event: 'done'; data: { status: 'success' } }
  | { event: 'error'; data: { code: string; message: string } };

/** /api/show per listed model should be quick; a slow one only costs its capability tags. */
const SHOW_TIMEOUT_MS = 5_000;

/** What Ollama says when its library has no such model or tag. */
const UNKNOWN_MODEL = /file does not exist|manifest.*not found/i;

@Injectable()
export class ModelsService {
  private readonly logger = new Logger(ModelsService.name);

  constructor(private readonly ollama: OllamaClientService) {}

  /**
   * Ollama's installed models, and for administrators where Ollama is; OLLAMA_UNAVAILABLE (503, with the
   * fix hint) when it cannot be reached.
   */
  async list(principal: Principal): Promise<ModelList> {
    const models = await Promise.all((await this.ollama.listModels()).map((m) => this.describe(m)));
    return principal.role === 'admin' ? { url: this.ollama.url, models } : { models };
  }

  /**
   * Asks Ollama to pull `name`. Resolves once Ollama answered the first line, so an unreachable Ollama is
   * still a plain HTTP error (503) rather than an event; then relays every progress line. Aborting
   * `signal` (the client left) closes the request to Ollama.
   */
  async startPull(name: string, signal: AbortSignal): Promise<AsyncGenerator<PullEvent>> {
    const progress = this.ollama.pullModel(name, signal);
    const first = await progress.next();
    return this.relayPull(name, first, progress);
  }

  private async *relayPull(
    name: string,
    first: IteratorResult<PullProgress>,
    rest: AsyncGenerator<PullProgress>,
  ): AsyncGenerator<PullEvent> {
    try {
      for (let step = first; !step.done; step = await rest.next()) {
        if (step.value.status === 'success') {
          yield { event: 'done', data: { status: 'success' } };
          return;
        }
        yield { event: 'progress', data: step.value };
      }
      yield pullError('OLLAMA_STREAM_FAILED', `Ollama ended the pull of "${name}" without reporting success.`);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'ABORTED') return; // the client left; nobody to tell
      yield this.describePullFailure(name, err);
    } finally {
      await rest.return(undefined); // stopped early: close the request so Ollama stops downloading for us
    }
  }

  private describePullFailure(name: string, err: unknown): PullEvent {
    if (err instanceof OllamaStreamError) {
      const ollamaMessage = String(err.details?.ollamaMessage ?? err.message);
      if (UNKNOWN_MODEL.test(ollamaMessage)) {
        return pullError(
          'MODEL_NOT_FOUND',
          `Ollama's library has no model "${name}" (${ollamaMessage}). Check the name and tag at https://ollama.com/library.`,
        );
      }
    }
    if (err instanceof DomainError) return pullError(err.code, err.message);
    this.logger.error(`pulling ${name} failed: ${err instanceof Error ? err.stack : String(err)}`);
    return pullError('INTERNAL_ERROR', `Pulling "${name}" failed unexpectedly; the server log has the details.`);
  }

  private async describe(model: ModelSummary): Promise<InstalledModel> {
    const { quantization, ...rest } = model;
    const view: InstalledModel = { ...rest, quantizationLevel: quantization };
    try {
      const { capabilities } = await this.ollama.showModel(model.name, { timeoutMs: SHOW_TIMEOUT_MS });
      if (capabilities.length) view.capabilities = capabilities;
    } catch {
      // The list is still right without the tags; the UI then guesses embedders by name.
    }
    return view;
  }
}

function pullError(code: string, message: string): PullEvent {
  return { event: 'error', data: { code, message } };
}
