/**
 * Probes for "ask overhead to the first token" through each door of the same knowledge base: one ask,
 * timed from sending the request to the first piece of answer text, read to its end. Raw fetch for every
 * door, so the figures compare the servers' work, not client libraries. Add a door by writing one more
 * probe beside these (e.g. /mcp).
 */

export interface FirstTokenResult {
  firstTokenMs: number;
  ok: boolean;
}

/** One ask of `question`. */
export type FirstTokenProbe = (question: string) => Promise<FirstTokenResult>;

/** Reads a streamed body line by line (SSE and NDJSON both end their records with a newline). */
async function* lines(body: ReadableStream<Uint8Array> | null): AsyncGenerator<string> {
  if (!body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      yield buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
    }
  }
  if (buffer) yield buffer;
}

/** POST /api/knowledge-bases/:id/ask with `stream: true`: the first `delta` event. */
export function restFirstTokenProbe(baseUrl: string, authorization: string, knowledgeBaseId: string): FirstTokenProbe {
  return async (question) => {
    const started = performance.now();
    let firstTokenMs = NaN;
    let ok = false;
    try {
      const res = await fetch(`${baseUrl}/api/knowledge-bases/${knowledgeBaseId}/ask`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', Authorization: authorization },
        body: JSON.stringify({ question, stream: true }),
      });
      if (res.status !== 200) return { firstTokenMs, ok };
      let event = '';
      for await (const line of lines(res.body)) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ') && event === 'delta' && Number.isNaN(firstTokenMs)) {
          firstTokenMs = performance.now() - started;
        } else if (line.startsWith('data: ') && event === 'done') ok = true;
      }
    } catch {
      ok = false;
    }
    return { firstTokenMs, ok };
  };
}

/** POST /ollama/api/chat, streamed (Ollama's default): the first NDJSON line with content. */
export function ollamaFirstTokenProbe(baseUrl: string, authorization: string, model: string): FirstTokenProbe {
  return async (question) => {
    const started = performance.now();
    let firstTokenMs = NaN;
    let ok = false;
    try {
      const res = await fetch(`${baseUrl}/ollama/api/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: authorization },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: question }] }),
      });
      if (res.status !== 200) return { firstTokenMs, ok };
      for await (const line of lines(res.body)) {
        if (!line) continue;
        const chunk = JSON.parse(line) as { message?: { content?: string }; done?: boolean; error?: string };
        if (chunk.message?.content && Number.isNaN(firstTokenMs)) firstTokenMs = performance.now() - started;
        if (chunk.done) ok = true;
        if (chunk.error) ok = false;
      }
    } catch {
      ok = false;
    }
    return { firstTokenMs, ok };
  };
}

export interface FirstTokenComparison {
  /** Each door's first-token times of its successful asks. */
  doors: Record<string, { times: number[]; failures: number }>;
  /** Per question, each door's time (NaN when it failed): for paired differences, which load drift cancels out of. */
  rounds: Record<string, number>[];
}

/**
 * Asks every question through every door, the doors taking turns per question (so drift in the machine's
 * load hits them alike); the first `warmup` rounds are not counted.
 */
export async function compareFirstToken(
  probes: Record<string, FirstTokenProbe>,
  questions: string[],
  warmup: number,
): Promise<FirstTokenComparison> {
  const doors: FirstTokenComparison['doors'] = {};
  const rounds: FirstTokenComparison['rounds'] = [];
  for (const name of Object.keys(probes)) doors[name] = { times: [], failures: 0 };
  for (let i = 0; i < questions.length; i++) {
    const order = Object.keys(probes);
    if (i % 2) order.reverse();
    const round: Record<string, number> = {};
    for (const name of order) {
      const { firstTokenMs, ok } = await probes[name](questions[i]);
      round[name] = ok ? firstTokenMs : NaN;
    }
    if (i < warmup) continue;
    rounds.push(round);
    for (const name of order) {
      if (Number.isFinite(round[name])) doors[name].times.push(round[name]);
      else doors[name].failures++;
    }
  }
  return { doors, rounds };
}
