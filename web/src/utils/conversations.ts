import type { ChatTurn, Citation } from '@/api/types';

type Obj = Record<string, unknown>;

/** GET /api/conversations/:id → turns: `{messages:[{id, role: 'user'|'assistant', content, citations, …}]}`. */
export function toTurns(body: Obj): ChatTurn[] {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as Obj[];
  const turns: ChatTurn[] = [];
  let pending: ChatTurn | null = null;
  for (const m of messages) {
    const citations = (Array.isArray(m.citations) ? m.citations : []) as Citation[];
    // Messages are `complete`, `failed` (error kept in `error`) or `aborted` (partial text kept).
    const status = m.status === 'failed' ? 'error' : m.status === 'aborted' ? 'stopped' : 'done';
    const error = (m.error as { message?: string } | null | undefined)?.message;
    if (m.role === 'user') {
      pending = { question: String(m.content ?? ''), answer: '', citations: [], status: 'done' };
      turns.push(pending);
    } else if (m.role === 'assistant') {
      const turn: ChatTurn = pending ?? { question: '', answer: '', citations: [], status: 'done' };
      if (!pending) turns.push(turn);
      turn.messageId = m.id as string;
      turn.answer = String(m.content ?? '');
      turn.citations = citations;
      turn.status = status;
      turn.error = error;
      turn.usage = m.usage as ChatTurn['usage'];
      turn.timings = m.timings as ChatTurn['timings'];
      pending = null;
    }
  }
  return turns;
}
