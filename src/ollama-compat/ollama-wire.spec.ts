import type { AskEvent, AskResult, Citation } from '../chat/chat.types';
import { slugOfModelName, modelNotFound, ollamaModelName } from './ollama-model-name';
import { AnswerContext, completeObject, finalObject, modelDigest, sourcesList, streamObjects } from './ollama-wire';

const citation = (index: number, extra: Partial<Citation> = {}): Citation => ({
  index,
  chunkId: `c${index}`,
  documentId: 'd',
  documentName: 'R-intro.pdf',
  title: 'Output',
  pageFrom: 12,
  pageTo: 12,
  snippet: '…',
  ...extra,
});

const result = (overrides: Partial<AskResult> = {}): AskResult => ({
  answer: 'Use sink() [1].',
  citations: [citation(1)],
  conversationId: 'conv',
  messageId: 'msg',
  usage: { promptTokens: 120, completionTokens: 7 },
  timings: { retrievalMs: 5, firstTokenMs: 20, totalMs: 40 },
  finishReason: 'stop',
  ...overrides,
});

const ctx = (overrides: Partial<AnswerContext> = {}): AnswerContext => ({
  endpoint: 'chat',
  model: 'r:latest',
  startedAt: performance.now() - 50,
  appendSources: false,
  language: 'en',
  ...overrides,
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function* events(...list: AskEvent[]): AsyncGenerator<AskEvent> {
  yield* list;
}

describe('Ollama model names', () => {
  it('takes the slug with or without :latest, in any case', () => {
    expect(slugOfModelName('R-Manuals:latest')).toBe('r-manuals');
    expect(slugOfModelName(' r-manuals ')).toBe('r-manuals');
    expect(slugOfModelName('r-manuals:7b')).toBe('r-manuals:7b');
    expect(ollamaModelName('r-manuals')).toBe('r-manuals:latest');
  });

  it('answers an unknown model as Ollama does, and a missing one as "model is required"', () => {
    expect(modelNotFound('x:latest')).toMatchObject({ httpStatus: 404, message: 'model "x:latest" not found' });
    expect(modelNotFound(undefined)).toMatchObject({ httpStatus: 400, message: 'model is required' });
    expect(modelNotFound('  ')).toMatchObject({ httpStatus: 400 });
  });
});

describe('Ollama wire shapes', () => {
  it('streams chat pieces, then a done object with counts, nanosecond durations and citations', async () => {
    const objects = await collect(
      streamObjects(
        events(
          { type: 'sources', citations: [citation(1)], conversationId: 'conv', messageId: 'msg' },
          { type: 'delta', content: 'Use ' },
          { type: 'delta', content: 'sink() [1].' },
          { type: 'done', result: result() },
        ),
        ctx(),
      ),
    );
    expect(objects.map((o) => (o.message as { content: string }).content)).toEqual(['Use ', 'sink() [1].', '']);
    expect(objects[0]).toMatchObject({ model: 'r:latest', done: false, message: { role: 'assistant' } });
    const final = objects[2];
    expect(final).toMatchObject({
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 120,
      prompt_eval_duration: 20_000_000,
      eval_count: 7,
      citations: [expect.objectContaining({ index: 1 })],
    });
    expect(final.total_duration as number).toBeGreaterThanOrEqual(50_000_000);
    expect(final.eval_duration).toBe((final.total_duration as number) - 20_000_000);
    expect(Number.isInteger(final.total_duration)).toBe(true);
  });

  it('leaves out zero metrics (Ollama omits them) and maps a cut answer to "length"', () => {
    const noHit = finalObject(
      ctx({ endpoint: 'generate' }),
      result({
        usage: { promptTokens: 0, completionTokens: 0 },
        timings: { retrievalMs: 1, firstTokenMs: null, totalMs: 2 },
        finishReason: 'length',
      }),
      'x',
    );
    expect(noHit).toMatchObject({ response: 'x', done_reason: 'length' });
    expect(noHit).not.toHaveProperty('eval_count');
    expect(noHit).not.toHaveProperty('prompt_eval_duration');
    expect(noHit).not.toHaveProperty('message');
  });

  it('turns an error event into the last {"error"} line', async () => {
    const objects = await collect(
      streamObjects(events({ type: 'delta', content: 'a' }, { type: 'error', code: 'X', message: 'broke' }), ctx()),
    );
    expect(objects[1]).toEqual({ error: 'broke' });
  });

  it('appends the cited sources for text-only clients, in the answer language', async () => {
    const cited = [citation(1), citation(2, { pageFrom: 13, pageTo: 14, title: '' })];
    expect(sourcesList(cited, 'en')).toBe(
      '\n\nSources:\n[1] R-intro.pdf, page 12 — Output\n[2] R-intro.pdf, pages 13-14',
    );
    expect(sourcesList([citation(1, { documentName: '笔记.pdf', title: '中文排版' })], 'zh')).toBe(
      '\n\n来源：\n[1] 《笔记.pdf》 第 12 页 — 中文排版',
    );
    expect(sourcesList([], 'en')).toBe('');
    const whole = completeObject(ctx({ appendSources: true }), result({ citations: cited }));
    expect((whole.message as { content: string }).content).toBe(`Use sink() [1].${sourcesList(cited, 'en')}`);
    const streamed = await collect(
      streamObjects(events({ type: 'done', result: result({ citations: cited }) }), ctx({ appendSources: true })),
    );
    expect((streamed[0].message as { content: string }).content).toBe(sourcesList(cited, 'en'));
  });

  it('gives a 64-hex digest that changes with the knowledge base', () => {
    const a = modelDigest('id', new Date(0));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(modelDigest('id', new Date(1))).not.toBe(a);
  });
});
