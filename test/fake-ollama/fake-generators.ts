/**
 * Deterministic stand-ins for a model: feature-hashed embeddings (texts sharing words or Chinese character
 * pairs point the same way) and a canned answer that quotes and cites the sources found in the prompt.
 */

// ------------------------------------------------------------------ embeddings

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const UNIGRAM_SEED = fnv(FNV_OFFSET, 0x55); // keeps CJK unigrams, bigrams and words in separate hash families
const BIGRAM_SEED = fnv(FNV_OFFSET, 0x42);

const WORD_WEIGHT = 1;
const STOP_WORD_WEIGHT = 0.15;
const CJK_BIGRAM_WEIGHT = 1;
const CJK_UNIGRAM_WEIGHT = 0.3;

const STOP_WORDS = new Set(
  'a an and are as at be by do does for from has have how i in is it its of on or that the this to was were what when where which who why will with you your'
    .split(' ')
    .map(hashWord),
);

function fnv(hash: number, code: number): number {
  return Math.imul(hash ^ code, FNV_PRIME) >>> 0;
}

function hashWord(word: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < word.length; i++) h = fnv(h, word.charCodeAt(i));
  return h;
}

/** Spreads FNV's weak low bits (murmur3 finaliser), so `% dimension` and the sign bit look independent. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function isWordChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0xc0 && code <= 0x24f)
  );
}

function isCjkChar(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0x3040 && code <= 0x30ff) ||
    (code >= 0xac00 && code <= 0xd7af)
  );
}

/** One scratch buffer per dimension: embedding 20k chunks must not allocate 20k Float64Arrays. */
const scratchByDimension = new Map<number, Float64Array>();

function scratch(dimension: number): Float64Array {
  let buffer = scratchByDimension.get(dimension);
  if (!buffer) scratchByDimension.set(dimension, (buffer = new Float64Array(dimension)));
  return buffer.fill(0);
}

/**
 * Hashes the text's features into `buffer`: English words (lower-cased, a plural `s` dropped) and, for
 * Chinese/Japanese/Korean runs, character bigrams plus lighter unigrams. Returns the number of features.
 */
function hashFeatures(text: string, buffer: Float64Array): number {
  const dimension = buffer.length;
  let features = 0;
  const add = (hash: number, weight: number): void => {
    const m = mix(hash);
    buffer[m % dimension] += m & 0x80000000 ? -weight : weight;
    features++;
  };
  let wordHash = FNV_OFFSET;
  let hashBeforeLast = FNV_OFFSET;
  let wordLength = 0;
  let lastCode = 0;
  let previousLetterCode = 0;
  let previousCjk = 0;
  const endWord = (): void => {
    if (wordLength === 0) return;
    const stemmed = wordLength > 3 && lastCode === 0x73 && previousLetterCode !== 0x73; // "docs" → "doc", not "class"
    const hash = stemmed ? hashBeforeLast : wordHash;
    add(hash, STOP_WORDS.has(hash) ? STOP_WORD_WEIGHT : WORD_WEIGHT);
    wordHash = FNV_OFFSET;
    wordLength = 0;
  };
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (isWordChar(code)) {
      if (code >= 0x41 && code <= 0x5a) code += 0x20;
      hashBeforeLast = wordHash;
      previousLetterCode = lastCode;
      wordHash = fnv(wordHash, code);
      lastCode = code;
      wordLength++;
      previousCjk = 0;
    } else if (isCjkChar(code)) {
      endWord();
      add(fnv(UNIGRAM_SEED, code), CJK_UNIGRAM_WEIGHT);
      if (previousCjk) add(fnv(fnv(BIGRAM_SEED, previousCjk), code), CJK_BIGRAM_WEIGHT);
      previousCjk = code;
    } else {
      endWord();
      previousCjk = 0;
    }
  }
  endWord();
  return features;
}

const ZERO_RUN = ',0'.repeat(8192);

/**
 * Writes a vector as a JSON array, six decimals. Most entries of a hashed vector are zero, so runs of zeros
 * are appended as one slice of a prepared ",0,0,…" string instead of one concatenation per entry.
 */
function vectorJson(buffer: Float64Array, length: number, scale: number): string {
  let json = '';
  let zeros = 0;
  for (let i = 0; i < length; i++) {
    const value = buffer[i];
    if (value === 0) {
      zeros++;
      continue;
    }
    if (zeros > 0) json += zeroRun(zeros);
    zeros = 0;
    json += ',' + String(Math.round(value * scale * 1e6) / 1e6);
  }
  if (zeros > 0) json += zeroRun(zeros);
  return '[' + json.slice(1) + ']';
}

function zeroRun(count: number): string {
  let run = '';
  for (; count > 8192; count -= 8192) run += ZERO_RUN;
  return run + ZERO_RUN.slice(0, 2 * count);
}

function fillEmbedding(text: string, dimension: number): Float64Array {
  const buffer = scratch(dimension);
  // Text without any word (empty, only punctuation) gets a fixed unit vector.
  if (hashFeatures(text, buffer) === 0) buffer[0] = 1;
  return buffer;
}

function inverseNorm(buffer: Float64Array, length: number): number {
  let sumOfSquares = 0;
  for (let i = 0; i < length; i++) sumOfSquares += buffer[i] * buffer[i];
  return sumOfSquares > 0 ? 1 / Math.sqrt(sumOfSquares) : 0;
}

/**
 * The unit-length embedding of `text` as a JSON array, as /api/embed returns it. `dimensions` keeps only the
 * first N components and normalises again, as Ollama does for Matryoshka models.
 */
export function embeddingJson(text: string, dimension: number, dimensions?: number): string {
  const buffer = fillEmbedding(text, dimension);
  const length = dimensions && dimensions < dimension ? dimensions : dimension;
  let scale = inverseNorm(buffer, length);
  if (scale === 0) {
    buffer[0] = 1; // the truncation dropped every feature
    scale = 1;
  }
  return vectorJson(buffer, length, scale);
}

/** As /api/embeddings returns it: the same direction, but NOT unit length (that endpoint never normalises). */
export function legacyEmbeddingJson(text: string, dimension: number): string {
  const buffer = fillEmbedding(text, dimension);
  const rawLength = 2 + (mix(hashWord(text)) % 7); // some length between 2 and 8, fixed per text
  return vectorJson(buffer, dimension, inverseNorm(buffer, dimension) * rawLength);
}

/** The embedding as numbers (for tests and tools; the server writes JSON directly). */
export function fakeEmbedding(text: string, dimension: number): number[] {
  return JSON.parse(embeddingJson(text, dimension)) as number[];
}

// ------------------------------------------------------------------ chat answers

export interface FakeChatMessage {
  role: string;
  content: string;
}

const CJK_TEXT = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/;
const SOURCE_LINE = /^\s*\[(\d{1,3})\]\s*(.*)$/;
const QUESTION_LINE =
  /^\s*(?:follow[- ]?up(?: question)?|question|user question|latest question|后续问题|追问|问题)\s*[:：]\s*(.+)$/i;
const REWRITE_REQUEST = /standalone|独立/i;
const QUOTE_LENGTH = 120;

/** The question inside a user message: a "Question:" line if there is one, else its last non-empty line. */
export function questionOf(userMessage: string): string {
  const lines = userMessage
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = QUESTION_LINE.exec(lines[i]);
    if (match) return match[1].trim();
  }
  return lines[lines.length - 1] ?? '';
}

/** Numbered sources (`[n] text`, possibly continued on the next lines until a blank line) in the prompt. */
export function findSources(messages: FakeChatMessage[]): Map<number, string> {
  const sources = new Map<number, string>();
  for (const message of messages) {
    if (message.role === 'assistant') continue;
    let current: { n: number; parts: string[] } | undefined;
    const flush = (): void => {
      if (current && !sources.has(current.n))
        sources.set(current.n, current.parts.join(' ').replace(/\s+/g, ' ').trim());
      current = undefined;
    };
    for (const line of (message.content ?? '').split('\n')) {
      const match = SOURCE_LINE.exec(line);
      if (match) {
        flush();
        current = { n: Number(match[1]), parts: [match[2]] };
      } else if (!line.trim()) {
        flush();
      } else if (current) {
        current.parts.push(line.trim());
      }
    }
    flush();
  }
  for (const [n, text] of sources) if (!text) sources.delete(n);
  return sources;
}

/**
 * What the fake model says. A rewrite request ("standalone" / "独立" in the system prompt; not in the user's
 * message, where a question may well use the word) gets the follow-up question back. Otherwise the first source
 * is quoted and cited `[n]`, the second cited as well; with no sources it does not know. Chinese questions get a
 * Chinese answer.
 */
export function fakeAnswer(messages: FakeChatMessage[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const question = questionOf(lastUser);
  const instructions = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n');
  if (REWRITE_REQUEST.test(instructions)) return question;

  const chinese = CJK_TEXT.test(question);
  const sources = findSources(messages);
  const numbers = [...sources.keys()].sort((a, b) => a - b);
  if (numbers.length === 0) return chinese ? '我不知道。资料中没有相关信息。' : "I don't know. The sources do not say.";

  const [first, second] = numbers;
  const codePoints = Array.from(sources.get(first) as string);
  const quote = codePoints.slice(0, QUOTE_LENGTH).join('') + (codePoints.length > QUOTE_LENGTH ? '…' : '');
  if (chinese) return `根据资料：“${quote}” [${first}]` + (second !== undefined ? `，另见 [${second}]。` : '。');
  return `According to the sources: "${quote}" [${first}].` + (second !== undefined ? ` See also [${second}].` : '');
}

/** Splits text into pieces of a few characters (whole code points), as a model streams tokens. */
export function splitIntoPieces(text: string, charactersPerPiece: number): string[] {
  const codePoints = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < codePoints.length; i += charactersPerPiece) {
    pieces.push(codePoints.slice(i, i + charactersPerPiece).join(''));
  }
  return pieces;
}

/** Rough token count: a CJK character ≈ 1 token, other text ≈ 4 characters a token. */
export function estimateTokens(text: string): number {
  let cjk = 0;
  for (let i = 0; i < text.length; i++) if (isCjkChar(text.charCodeAt(i))) cjk++;
  return cjk + Math.ceil((text.length - cjk) / 4);
}

/** A stable 64-hex digest for a model name (listings need one). */
export function fakeDigest(name: string): string {
  let digest = '';
  for (let seed = 0; seed < 8; seed++)
    digest += mix(fnv(hashWord(name), seed))
      .toString(16)
      .padStart(8, '0');
  return digest;
}
