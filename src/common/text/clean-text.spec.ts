import { cleanStrings, cleanText, hasDebris, invisibleCharacterIn } from './clean-text';

describe('cleanText', () => {
  it('removes U+0000 and the other C0 controls, keeping tab and newline', () => {
    expect(cleanText('a\u0000b\u0001c\u0008d\u000ee\u001ff\tg\nh')).toBe('abcdef\tg\nh');
  });

  it('leaves one space where debris stood between two, as math symbols from fonts without a Unicode map do', () => {
    expect(cleanText('E \u0018 = 3 and the variance \u0000 2 \u0001\u0002 1')).toBe('E = 3 and the variance 2 1');
    expect(cleanText('col\t\u0000\tnext')).toBe('col\tnext');
    expect(cleanText('\u0000dir tate')).toBe('dir tate');
  });

  it('removes DEL and the C1 controls', () => {
    expect(cleanText('x\u007fy\u0080z\u009fw\u008d')).toBe('xyzw');
  });

  it('turns every kind of line break into one LF', () => {
    expect(cleanText('a\r\nb\rc\u000bd\u000ce\u0085f\u2028g\u2029h')).toBe('a\nb\nc\nd\ne\nf\ng\nh');
  });

  it('removes lone surrogate halves but keeps surrogate pairs', () => {
    expect(cleanText('a\ud800b\udc00c')).toBe('abc');
    expect(cleanText('end\ud83d')).toBe('end');
    expect(cleanText('\ude00start')).toBe('start');
    expect(cleanText('😀 𠀀 𝐀')).toBe('😀 𠀀 𝐀');
  });

  it('removes replacement-character runs, object placeholders, noncharacters and stray byte-order marks', () => {
    expect(cleanText('caf\ufffd\ufffd\ufffd au lait')).toBe('caf au lait');
    expect(cleanText('\ufeffTitle\ufeff text')).toBe('Title text');
    expect(cleanText('a\ufffcb')).toBe('ab');
    expect(cleanText('a\ufdd0b\ufffec\uffffd\u{1fffe}e\u{10ffff}f')).toBe('abcdef');
  });

  it('keeps what carries meaning: CJK, emoji sequences, combining marks, bidi marks in text, private use', () => {
    const meaningful = [
      '知识库：如何排版中文文档？',
      'かな カナ 한국어',
      '👩‍💻 👨‍👩‍👧 🏳️‍🌈 👍🏽 🏴󠁧󠁢󠁳󠁣󠁴󠁿',
      'e\u0301 n\u0303 a\u0308',
      'العربية \u200fעברית\u200e English \u202bembedded\u202c',
      'می\u200cخواهم',
      '\ue000\uf8ff',
      'tab\tand\nnewline',
    ];
    for (const text of meaningful) {
      expect(cleanText(text)).toBe(text);
      expect(hasDebris(text)).toBe(false);
    }
  });

  it('returns the very same string when there is nothing to clean', () => {
    const text = 'plain text '.repeat(1000);
    expect(cleanText(text)).toBe(text);
  });

  it('hasDebris is true exactly when cleanText would remove something', () => {
    for (const text of ['a\u0000', 'a\r\nb', 'x\ud800', 'y\ufffd', 'fine', '中文']) {
      expect(hasDebris(text)).toBe(cleanText(text) !== text);
    }
  });

  it('reads the compatibility forms some fonts map characters to as the characters people type', () => {
    // Kangxi radicals for 山, 大 and 首 (as a PDF of a Shandong University thesis template extracts them).
    expect(cleanText('\u2f2d东\u2f24学 \u2fb8页')).toBe('山东大学 首页');
    // CJK radicals with a compatibility mapping, compatibility ideographs, Latin ligatures.
    expect(cleanText('\u2e9f \u2ef3 \uf900 \u{2f800} \ufb01le \ufb02ow')).toBe('母 龟 豈 丽 file flow');
    // Radicals without an equivalent and the unified ideographs of the compatibility block stay.
    expect(cleanText('\u2ed1 \ufa0e')).toBe('\u2ed1 \ufa0e');
    // Everything else NFKC would change stays as written: full-width punctuation, superscripts, half-width kana.
    for (const text of ['中文，标点。', 'x² + y²', 'ｶﾀｶﾅ', '①②']) expect(cleanText(text)).toBe(text);
    expect(hasDebris('\u2f2d东')).toBe(false);
  });
});

describe('cleanStrings', () => {
  it('cleans every string of a JSON value, keys included, and leaves the named secrets alone', () => {
    const body = {
      name: 'kb\u0000',
      password: 'secret\u0000',
      settings: { prompt: 'use\u0001 {sources}', password: 'nested\u0000' },
      tags: ['a\u0000', 1, null, true],
      'ke\u0000y': 'v',
    };
    expect(cleanStrings(body, new Set(['password']))).toEqual({
      name: 'kb',
      password: 'secret\u0000',
      settings: { prompt: 'use {sources}', password: 'nested' },
      tags: ['a', 1, null, true],
      key: 'v',
    });
  });

  it('keeps a secret as sent even when its key needed cleaning', () => {
    expect(cleanStrings({ 'pass\u0000word': 'x\u0000y' }, new Set(['password']))).toEqual({ password: 'x\u0000y' });
  });

  it('cleans a plain string', () => {
    expect(cleanStrings('q\u0000uery')).toBe('query');
  });

  it('leaves class instances (dates, buffers) as they are', () => {
    const date = new Date(0);
    expect(cleanStrings({ at: date }).at).toBe(date);
  });
});

describe('invisibleCharacterIn', () => {
  it('finds bidirectional controls: "invoice\\u202Edm.txt" would display as "invoicetxt.md"', () => {
    expect(invisibleCharacterIn('invoice\u202edm.txt')).toBe('U+202E RIGHT-TO-LEFT OVERRIDE');
    for (const cp of [0x202a, 0x202b, 0x202c, 0x202d, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c]) {
      expect(invisibleCharacterIn(`name${String.fromCodePoint(cp)}.pdf`)).toMatch(/^U\+[0-9A-F]{4} /);
    }
  });

  it('finds zero-width and invisible characters that make two names look alike', () => {
    for (const cp of [0x200b, 0x200c, 0x200d, 0x2060, 0x2061, 0x2064, 0xfeff, 0x180e, 0x00ad, 0x034f]) {
      expect(invisibleCharacterIn(`re${String.fromCodePoint(cp)}port.pdf`)).toBeDefined();
    }
  });

  it('accepts names that show what they are: CJK, accents, emoji sequences, Persian and Hindi joiners', () => {
    for (const name of [
      '知识库 手册.pdf',
      'Müller – Übersicht.docx',
      '👩‍💻 notes.md',
      '👨‍👩‍👧.txt',
      'می\u200cخواهم.txt',
      'क्\u200dष.txt',
      'plain.txt',
    ]) {
      expect(invisibleCharacterIn(name)).toBeUndefined();
    }
  });
});
