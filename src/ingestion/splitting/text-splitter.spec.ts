import { estimateTokens } from '../../common/text/token-estimate';
import { TextBlock } from '../parsing/parsed-document';
import { splitIntoChunks, splitSentences, splitWords } from './text-splitter';

const sentence = (i: number): string => `Sentence number ${i} says something about vectors and assignment in R.`;

describe('splitIntoChunks', () => {
  it('starts a new chunk at each heading and keeps the heading trail as title', () => {
    const blocks: TextBlock[] = [
      { kind: 'heading', text: '2 Simple manipulations', level: 1, page: 8 },
      { kind: 'paragraph', text: 'Intro paragraph.', page: 8 },
      { kind: 'heading', text: '2.1 Vectors and assignment', level: 2, page: 8 },
      { kind: 'paragraph', text: 'R operates on named data structures.', page: 9 },
      { kind: 'heading', text: '3 Objects', level: 1, page: 14 },
      { kind: 'paragraph', text: 'Objects have modes.', page: 14 },
    ];
    const chunks = splitIntoChunks(blocks, { chunkSize: 400, chunkOverlap: 60 });
    expect(chunks.map((c) => [c.title, c.content, c.pageFrom, c.pageTo])).toEqual([
      ['2 Simple manipulations', 'Intro paragraph.', 8, 8],
      ['2 Simple manipulations › 2.1 Vectors and assignment', 'R operates on named data structures.', 9, 9],
      ['3 Objects', 'Objects have modes.', 14, 14],
    ]);
    expect(chunks.map((c) => c.ordinal)).toEqual([0, 1, 2]);
  });

  it('packs paragraphs up to the chunk size, splits long ones at sentences, and overlaps', () => {
    const paragraph = Array.from({ length: 40 }, (_, i) => sentence(i)).join(' ');
    const chunks = splitIntoChunks(
      [
        { kind: 'paragraph', text: paragraph, page: 1 },
        { kind: 'paragraph', text: paragraph, page: 2 },
      ],
      { chunkSize: 100, chunkOverlap: 20 },
    );
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      expect(chunk.tokenCount).toBeLessThanOrEqual(110);
      expect(chunk.content).toMatch(/^Sentence number \d+/);
      expect(chunk.content).toMatch(/in R\.$/);
    }
    // Overlap: each chunk starts with the last sentence of the one before.
    const lastSentence = chunks[0].content.split(/(?<=\.) /).pop()!;
    expect(chunks[1].content.startsWith(lastSentence)).toBe(true);
    expect(chunks.some((c) => c.pageFrom === 1 && c.pageTo === 2)).toBe(true);
  });

  it('splits Chinese at 。！？； and never exceeds the model context', () => {
    const text = '知识库问答需要把文档切成段落。'.repeat(200);
    const chunks = splitIntoChunks([{ kind: 'paragraph', text }], {
      chunkSize: 400,
      chunkOverlap: 60,
      contextLength: 256,
    });
    for (const chunk of chunks) {
      expect(chunk.content.endsWith('。')).toBe(true);
      expect(estimateTokens(chunk.content)).toBeLessThanOrEqual(256 * 0.8);
      expect(chunk.content).not.toMatch(/\s/);
    }
    expect(chunks.map((c) => c.content).join('').length).toBeGreaterThanOrEqual(text.length);
  });

  it('cuts an overlong sentence between words, never inside one', () => {
    const words = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
    const chunks = splitIntoChunks([{ kind: 'paragraph', text: words }], { chunkSize: 100, chunkOverlap: 0 });
    const seen = chunks.flatMap((c) => c.content.split(' '));
    expect(seen).toEqual(words.split(' '));
  });
});

describe('splitSentences', () => {
  it('does not end sentences inside "help.search" or "3.14"', () => {
    expect(
      splitSentences('Use help.search for 3.14 things. Then stop! 然后呢？好的。').map((s) => s.text.trim()),
    ).toEqual(['Use help.search for 3.14 things.', 'Then stop!', '然后呢？', '好的。']);
  });
});

describe('splitWords', () => {
  it('cuts a single giant token so it still fits', () => {
    const windows = splitWords('x'.repeat(1000), 50);
    expect(windows.every((w) => estimateTokens(w.text) <= 50)).toBe(true);
    expect(windows.map((w) => w.text).join('')).toBe('x'.repeat(1000));
  });
});

describe('splitIntoChunks: tables and locations', () => {
  const table = (rows: number): TextBlock => ({
    kind: 'table',
    text: '| 代码 | name |\n| --- | --- |',
    sheet: 'Countries',
    rows: Array.from({ length: rows }, (_, i) => ({
      row: i + 2,
      text: `| C${i} | Country number ${i} with a longer name |`,
    })),
  });

  it('splits a table between rows, repeats the header in every chunk and cites the sheet and rows', () => {
    const chunks = splitIntoChunks([{ kind: 'heading', text: 'Countries', level: 1 }, table(60)], {
      chunkSize: 80,
      chunkOverlap: 20,
    });
    expect(chunks.length).toBeGreaterThan(3);
    let next = 2;
    for (const chunk of chunks) {
      expect(chunk.title).toBe('Countries');
      expect(chunk.content.startsWith('| 代码 | name |\n| --- | --- |\n| C')).toBe(true);
      expect(chunk.tokenCount).toBeLessThanOrEqual(80);
      expect(chunk.location).toMatchObject({ kind: 'rows', sheet: 'Countries', from: next });
      const rows = chunk.content.split('\n').length - 2;
      expect(chunk.location!.to).toBe(next + rows - 1);
      next = chunk.location!.to + 1;
    }
    expect(next).toBe(62);
  });

  it('turns slide and chapter numbers into the location, not into PDF pages', () => {
    const blocks: TextBlock[] = [
      { kind: 'heading', text: 'Intro', level: 1, page: 1 },
      { kind: 'paragraph', text: 'First slide.', page: 1 },
      { kind: 'paragraph', text: 'Still short.', page: 2 },
    ];
    const [chunk] = splitIntoChunks(blocks, { chunkSize: 400, chunkOverlap: 0, pageUnit: 'slide' });
    expect(chunk).toMatchObject({ pageFrom: null, pageTo: null, location: { kind: 'slide', from: 1, to: 2 } });
    const [pdf] = splitIntoChunks(blocks, { chunkSize: 400, chunkOverlap: 0 });
    expect(pdf).toMatchObject({ pageFrom: 1, pageTo: 2, location: null });
  });
});
