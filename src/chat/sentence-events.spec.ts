import type { AskEvent, AskResult } from './chat.types';
import { SentenceSplitter, speakable, withSentenceEvents } from './sentence-events';

function sentencesOf(pieces: string[], sources?: number[]): { text: string; citations: number[] }[] {
  const splitter = new SentenceSplitter(sources ? new Set(sources) : undefined);
  const out = pieces.flatMap((piece) => splitter.push(piece));
  return [...out, ...splitter.flush()];
}

const texts = (pieces: string[]) => sentencesOf(pieces).map((s) => s.text);

/** A small seeded generator, so a failing chunking can be reproduced. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** The same text cut in many ways: whole, every code point alone, in two at every point, fixed sizes, random. */
function chunkings(text: string): string[][] {
  const chars = Array.from(text);
  const ways: string[][] = [[text], chars];
  for (let i = 1; i < chars.length; i++) ways.push([chars.slice(0, i).join(''), chars.slice(i).join('')]);
  for (let size = 2; size <= 7; size++) {
    const pieces: string[] = [];
    for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
    ways.push(pieces);
  }
  const next = random(text.length);
  for (let n = 0; n < 20; n++) {
    const pieces: string[] = [];
    for (let i = 0; i < chars.length;) {
      const size = 1 + Math.floor(next() * 6);
      pieces.push(chars.slice(i, i + size).join(''));
      i += size;
    }
    ways.push(pieces);
  }
  return ways;
}

/** Splits `text` in every chunking and expects the same sentences each time; returns them. */
function expectSameInEveryChunking(text: string, sources?: number[]): { text: string; citations: number[] }[] {
  const whole = sentencesOf([text], sources);
  for (const pieces of chunkings(text)) {
    expect({ pieces, sentences: sentencesOf(pieces, sources) }).toEqual({ pieces, sentences: whole });
  }
  return whole;
}

const squash = (text: string) => text.replace(/\s+/g, '');

describe('sentence splitting for speech', () => {
  it('cuts Chinese at 。！？； and keeps closing quotes and citation marks with their sentence', () => {
    const text = '根据资料：“使用 sink() 可以把输出写入文件。” [1] 这样做很方便！真的吗？是的；另见 [2]。最后一句';
    expect(expectSameInEveryChunking(text, [1, 2])).toEqual([
      { text: '根据资料：“使用 sink() 可以把输出写入文件。”', citations: [1] },
      { text: '这样做很方便！', citations: [] },
      { text: '真的吗？是的；', citations: [] },
      { text: '另见。最后一句', citations: [2] },
    ]);
  });

  it('cuts English at .!? before a space or a line end, never inside numbers, URLs or abbreviations', () => {
    const text =
      'Pi is about 3.14 and e is 2.718. Dr. Smith, e.g. in Fig. 3, uses i.e. plain words! ' +
      'See https://www.r-project.org/about.html?x=1 for more. Apples, pears, etc. are fruit. ' +
      'We stop here, etc. Then it goes on.\nDone?';
    expect(texts([text])).toEqual([
      'Pi is about 3.14 and e is 2.718.',
      'Dr. Smith, e.g. in Fig. 3, uses i.e. plain words!',
      'See https://www.r-project.org/about.html?x=1 for more.',
      'Apples, pears, etc. are fruit.',
      'We stop here, etc.',
      'Then it goes on.',
      'Done?',
    ]);
    expectSameInEveryChunking(text);
  });

  it('keeps a terminator after the citation mark with the sentence', () => {
    const text = '它会自动设置中文字体。” [1]。下一句话在这里。 The end." [2]. Next sentence here.';
    expect(expectSameInEveryChunking(text, [1, 2])).toEqual([
      { text: '它会自动设置中文字体。”。', citations: [1] },
      { text: '下一句话在这里。', citations: [] },
      { text: 'The end.".', citations: [2] },
      { text: 'Next sentence here.', citations: [] },
    ]);
  });

  it('goes on after a quoted sentence when a comma follows the quote', () => {
    const text = '根据资料：“它会自动设置中文字体。” [1]，另见 [2]。下一句话在这里。';
    expect(expectSameInEveryChunking(text, [1, 2])).toEqual([
      { text: '根据资料：“它会自动设置中文字体。”，另见。', citations: [1, 2] },
      { text: '下一句话在这里。', citations: [] },
    ]);
  });

  it('ends a sentence on "no." but not on "No. 5"', () => {
    expect(texts(['The answer is no. Item No. 5 is fine.'])).toEqual(['The answer is no.', 'Item No. 5 is fine.']);
  });

  it('keeps citation marks in every form with their sentence and strips them from the text', () => {
    const text =
      'It diverts output [1]. It restores it.[2] Both work [1, 2]. See [^3]. 另见【2】。Nine is not a source [9].';
    const sentences = expectSameInEveryChunking(text, [1, 2, 3]);
    expect(sentences).toEqual([
      { text: 'It diverts output.', citations: [1] },
      { text: 'It restores it.', citations: [2] },
      { text: 'Both work.', citations: [1, 2] },
      { text: 'See. 另见。', citations: [3, 2] },
      { text: 'Nine is not a source.', citations: [] },
    ]);
  });

  it('makes list items and headings pieces of their own and does not cut after "1."', () => {
    const text =
      '## Steps\n\nTo install R:\n1. Download it from CRAN\n2. Run the installer\n- then start R\n\nThat is all.';
    expect(expectSameInEveryChunking(text).map((s) => s.text)).toEqual([
      '## Steps\n\nTo install R:',
      '1. Download it from CRAN',
      '2. Run the installer',
      '- then start R',
      'That is all.',
    ]);
  });

  it('never cuts inside code: fenced blocks and inline code, whose [1] is no citation', () => {
    const text =
      'Run this. It prints:\n```r\nx <- c(1.5, 2)\nprint(x[1]). Done! 完成。\n```\nThen use `a.b? c. d` to test it. Next one [1].';
    const sentences = expectSameInEveryChunking(text, [1]);
    expect(sentences).toEqual([
      { text: 'Run this.', citations: [] },
      { text: 'It prints:\n```r\nx <- c(1.5, 2)\nprint(x[1]). Done! 完成。\n```', citations: [] },
      { text: 'Then use `a.b? c. d` to test it.', citations: [] },
      { text: 'Next one.', citations: [1] },
    ]);
  });

  it('joins very short pieces to the next sentence', () => {
    expect(texts(['是。我们可以这样做。Yes. That is how it works. OK.'])).toEqual([
      '是。我们可以这样做。',
      'Yes. That is how it works.',
      'OK.',
    ]);
  });

  it('gives a sentence as soon as the next character shows that it ended', () => {
    const english = new SentenceSplitter();
    expect(english.push('Hello there, world.')).toEqual([]);
    expect(english.push(' N')).toEqual([{ text: 'Hello there, world.', citations: [] }]);
    const chinese = new SentenceSplitter();
    expect(chinese.push('今天天气很好。')).toEqual([]);
    expect(chinese.push('明')).toEqual([{ text: '今天天气很好。', citations: [] }]);
  });

  it('flushes the rest at the end, and says nothing for an empty answer', () => {
    expect(texts(['Unfinished thought without a stop'])).toEqual(['Unfinished thought without a stop']);
    expect(texts(['', '  \n'])).toEqual([]);
  });

  it('gives every sentence exactly once: joined, they are the answer without marks', () => {
    const answer =
      'According to the sources: "The function sink("record.lis") will divert all subsequent output." [1]. ' +
      'See also [2]. 中文也一样：句号。问号？感叹号！\n\n- 列表项一\n- 列表项二\n\n```\ncode. here\n```\nEnd.';
    for (const pieces of chunkings(answer)) {
      const joined = sentencesOf(pieces, [1, 2])
        .map((s) => s.text)
        .join('');
      expect(squash(joined)).toBe(squash(speakable(answer).text));
    }
  });

  it('strips marks only outside code', () => {
    expect(speakable('Use `x[1]` here [1]. ```\ny[2]\n```', new Set([1, 2]))).toEqual({
      text: 'Use `x[1]` here. ```\ny[2]\n```',
      citations: [1],
    });
  });
});

describe('withSentenceEvents', () => {
  const result = { answer: 'x', citations: [] } as unknown as AskResult;

  async function collect(events: AskEvent[]) {
    async function* source() {
      yield* events;
    }
    const out = [];
    for await (const event of withSentenceEvents(source())) out.push(event);
    return out;
  }

  it('adds sentence events after the delta that completed them and flushes before done', async () => {
    const out = await collect([
      { type: 'sources', citations: [{ index: 1 } as never], conversationId: 'c', messageId: 'm' },
      { type: 'delta', content: 'The first sentence is here [1]. The sec' },
      { type: 'delta', content: 'ond one [7] has no end' },
      { type: 'done', result },
    ]);
    expect(out.map((e) => e.type)).toEqual(['sources', 'delta', 'sentence', 'delta', 'sentence', 'done']);
    expect(out[2]).toEqual({ type: 'sentence', index: 0, text: 'The first sentence is here.', citations: [1] });
    expect(out[4]).toEqual({ type: 'sentence', index: 1, text: 'The second one has no end', citations: [] });
  });

  it('does not speak the rest of an answer that failed', async () => {
    const out = await collect([
      { type: 'sources', citations: [], conversationId: 'c', messageId: 'm' },
      { type: 'delta', content: 'Half a sent' },
      { type: 'error', code: 'OLLAMA_FAILED', message: 'broke' },
    ]);
    expect(out.map((e) => e.type)).toEqual(['sources', 'delta', 'error']);
  });
});
