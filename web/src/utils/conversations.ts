import type { ChatTurn, Citation, ConversationSummary } from '@/api/types';

type Obj = Record<string, unknown>;
const LOCAL_KEY = 'zhiku.conversations';
const MAX_LOCAL = 200;

/**
 * GET /api/conversations/:id → turns. Accepts `{messages:[{id, role: 'user'|'assistant', content, citations}]}`
 * or `{messages:[{id, question, answer, citations}]}` (one row per question/answer).
 */
export function toTurns(body: Obj): ChatTurn[] {
  const messages = (
    Array.isArray(body.messages) ? body.messages : Array.isArray(body.items) ? body.items : []
  ) as Obj[];
  const turns: ChatTurn[] = [];
  let pending: ChatTurn | null = null;
  for (const m of messages) {
    const citations = (Array.isArray(m.citations) ? m.citations : []) as Citation[];
    // Messages are `complete`, `failed` (error kept in `error`) or `aborted` (partial text kept).
    const status =
      m.status === 'failed' || m.status === 'error' ? 'error' : m.status === 'aborted' ? 'stopped' : 'done';
    const error = (m.error as { message?: string } | null | undefined)?.message;
    if (typeof m.question === 'string' || typeof m.answer === 'string') {
      turns.push({
        messageId: m.id as string,
        question: String(m.question ?? ''),
        answer: String(m.answer ?? ''),
        citations,
        status,
        error,
        usage: m.usage as ChatTurn['usage'],
        timings: m.timings as ChatTurn['timings'],
      });
      continue;
    }
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

export interface LocalConversation extends ConversationSummary {
  knowledgeBaseId: string;
}

/** Conversations started in this browser — used when the server has no conversation list endpoint. */
export function localConversations(kbId: string): LocalConversation[] {
  try {
    const all = JSON.parse(localStorage.getItem(LOCAL_KEY) ?? '[]') as LocalConversation[];
    return all.filter((c) => c.knowledgeBaseId === kbId);
  } catch {
    return [];
  }
}

export function rememberConversation(c: LocalConversation): void {
  try {
    const all = (JSON.parse(localStorage.getItem(LOCAL_KEY) ?? '[]') as LocalConversation[]).filter(
      (x) => x.id !== c.id,
    );
    all.unshift(c);
    localStorage.setItem(LOCAL_KEY, JSON.stringify(all.slice(0, MAX_LOCAL)));
  } catch {
    /* storage full or blocked */
  }
}

export function forgetConversation(id: string): void {
  try {
    const all = (JSON.parse(localStorage.getItem(LOCAL_KEY) ?? '[]') as LocalConversation[]).filter((x) => x.id !== id);
    localStorage.setItem(LOCAL_KEY, JSON.stringify(all));
  } catch {
    /* ignore */
  }
}
