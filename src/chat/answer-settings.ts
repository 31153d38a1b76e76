import type { KnowledgeBaseSettings } from '../knowledge-bases/knowledge-base.entity';

export const DEFAULT_HISTORY_TURNS = 3;
export const MAX_HISTORY_TURNS = 20;
/** Low: answers should repeat the sources, not improvise. */
export const DEFAULT_TEMPERATURE = 0.2;

/** A knowledge base's answer settings with every gap filled by the defaults. */
export interface AnswerSettings {
  chatModel: string;
  prompt?: string;
  noHitMode: 'text' | 'model';
  noHitText?: string;
  historyTurns: number;
  rewriteFollowUps: boolean;
  numCtx: number;
  temperature: number;
}

/**
 * Reads the stored settings defensively: a value of the wrong type or out of range (or null, as some
 * clients send for "unset") falls back to the default instead of breaking answers.
 */
export function resolveAnswerSettings(
  settings: KnowledgeBaseSettings | null | undefined,
  defaults: { chatModel: string; chatNumCtx: number },
): AnswerSettings {
  const s = (settings ?? {}) as Record<string, unknown>;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
  const int = (v: unknown, min: number, max: number): number | undefined =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined;
  const num = (v: unknown, min: number, max: number): number | undefined =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : undefined;
  return {
    chatModel: text(s.chatModel)?.trim() ?? defaults.chatModel,
    prompt: text(s.prompt),
    noHitMode: s.noHitMode === 'model' ? 'model' : 'text',
    noHitText: text(s.noHitText),
    historyTurns: int(s.historyTurns, 0, MAX_HISTORY_TURNS) ?? DEFAULT_HISTORY_TURNS,
    rewriteFollowUps: typeof s.rewriteFollowUps === 'boolean' ? s.rewriteFollowUps : true,
    numCtx: int(s.numCtx, 512, 1_048_576) ?? defaults.chatNumCtx,
    temperature: num(s.temperature, 0, 2) ?? DEFAULT_TEMPERATURE,
  };
}
