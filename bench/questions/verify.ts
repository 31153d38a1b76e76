/**
 * Checks a retrieval question set (bench/questions/dev.jsonl by default, or holdout.jsonl) against zhiku's
 * own text extraction.
 *
 *   npx ts-node --transpile-only bench/questions/verify.ts [questions.jsonl]   (another set may use no dev document)
 *   npx ts-node --transpile-only bench/questions/verify.ts --dump /tmp/pages doc.pdf …   (the text, page by page)
 *
 * Every document is read with parseDocument (pdf.js page by page, then the same cleanup as ingestion) and
 * split with splitIntoChunks at the default chunk size (400/60). A question passes when each of its needles,
 * with all whitespace removed from both sides, occurs in the paragraphs of the stated page AND inside one
 * chunk covering that page (a needle cut by a chunk boundary could never be retrieved). A needle found on more
 * than one page needs a `note` saying so. Prints every mismatch, how many pages hold each needle, and the
 * counts per kind, language and document; exits 1 if any line fails.
 *
 * Documents: a wild PDF by its name in WILD_DIR (default /tmp/zhiku-wild, filled by
 * ../shared/corpus/wild/fetch.sh) or a file of ../shared/corpus.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PDF_MIME } from '../../src/documents/upload/file-type';
import { CORPUS_DIR } from '../../test/support/corpus-dir';
import { parseDocument } from '../../src/ingestion/parsing/document-parser';
import { TextBlock } from '../../src/ingestion/parsing/parsed-document';
import { splitIntoChunks, TextChunk } from '../../src/ingestion/splitting/text-splitter';

const WILD_DIR = process.env.WILD_DIR ?? '/tmp/zhiku-wild';
const DEFAULT_SET = path.join(__dirname, 'dev.jsonl');
const KINDS = ['lexical', 'paraphrase', 'identifier'];
const LANGS = ['en', 'zh'];
const SPLIT = { chunkSize: 400, chunkOverlap: 60 };

interface Question {
  id: string;
  doc: string;
  lang: string;
  question: string;
  needles: string[];
  page: number;
  kind: string;
  answer: string;
  note?: string;
}

interface ReadDocument {
  pageCount: number;
  /** Paragraph text of each page (headings are chunk titles, not passage content), whitespace removed. */
  pages: Map<number, string>;
  chunks: TextChunk[];
  blocks: TextBlock[];
}

const squash = (s: string): string => s.replace(/\s+/g, '');

function documentPath(doc: string): string {
  for (const dir of [WILD_DIR, CORPUS_DIR]) {
    const file = path.join(dir, doc);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`document not found in ${WILD_DIR} or ${CORPUS_DIR}: ${doc}`);
}

async function readDocument(doc: string): Promise<ReadDocument> {
  const parsed = await parseDocument(fs.readFileSync(documentPath(doc)), PDF_MIME);
  const pages = new Map<number, string>();
  for (const block of parsed.blocks) {
    if (block.kind !== 'paragraph' || block.page === undefined) continue;
    pages.set(block.page, (pages.get(block.page) ?? '') + squash(block.text));
  }
  return {
    pageCount: parsed.pageCount ?? 0,
    pages,
    chunks: splitIntoChunks(parsed.blocks, SPLIT),
    blocks: parsed.blocks,
  };
}

/** Problems with one question's fields, before any document is read. */
function fieldProblems(q: Question, seenIds: Set<string>, usedDocs: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const field of ['id', 'doc', 'lang', 'question', 'kind', 'answer'] as const)
    if (typeof q[field] !== 'string' || !q[field].trim()) problems.push(`missing ${field}`);
  if (!Number.isInteger(q.page) || q.page < 1) problems.push('page must be a 1-based integer');
  if (!Array.isArray(q.needles) || !q.needles.length || q.needles.some((n) => typeof n !== 'string' || !squash(n)))
    problems.push('needles must be non-empty strings');
  if (!KINDS.includes(q.kind)) problems.push(`kind must be one of ${KINDS.join(', ')}`);
  if (!LANGS.includes(q.lang)) problems.push(`lang must be one of ${LANGS.join(', ')}`);
  if (seenIds.has(q.id)) problems.push('duplicate id');
  const usedBy = usedDocs.get(q.doc);
  if (usedBy) problems.push(`document already used by ${usedBy}`);
  seenIds.add(q.id);
  return problems;
}

function needleProblems(q: Question, read: ReadDocument): { problems: string[]; report: string[] } {
  const problems: string[] = [];
  const report: string[] = [];
  if (q.page > read.pageCount) problems.push(`page ${q.page} > page count ${read.pageCount}`);
  for (const needle of q.needles) {
    const squashed = squash(needle);
    const onPages = [...read.pages].filter(([, text]) => text.includes(squashed)).map(([page]) => page);
    const inChunk = read.chunks.some(
      (c) =>
        squash(c.content).includes(squashed) &&
        c.pageFrom !== null &&
        c.pageFrom <= q.page &&
        q.page <= (c.pageTo ?? 0),
    );
    report.push(`"${needle}" on ${onPages.length} page(s) [${onPages.slice(0, 8).join(', ')}]`);
    if (!onPages.includes(q.page)) problems.push(`needle "${needle}" not on page ${q.page} (found on [${onPages}])`);
    else if (!inChunk) problems.push(`needle "${needle}" is on page ${q.page} but split across chunks`);
    if (onPages.length > 1 && !q.note) problems.push(`needle "${needle}" is on ${onPages.length} pages: add a note`);
  }
  return { problems, report };
}

function countBy(questions: Question[], key: (q: Question) => string): string {
  const counts = new Map<string, number>();
  for (const q of questions) counts.set(key(q), (counts.get(key(q)) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `  ${k}: ${n}`)
    .join('\n');
}

async function dump(outDir: string, docs: string[]): Promise<void> {
  fs.mkdirSync(outDir, { recursive: true });
  for (const doc of docs) {
    const read = await readDocument(doc);
    const lines: string[] = [];
    let page = 0;
    for (const block of read.blocks) {
      if (block.page !== page) lines.push(`\n=== page ${(page = block.page ?? 0)} ===`);
      lines.push(block.kind === 'heading' ? `## [h${block.level}] ${block.text}` : block.text);
    }
    fs.writeFileSync(path.join(outDir, `${doc}.txt`), lines.join('\n') + '\n');
    console.log(`${doc}: ${read.pageCount} pages, ${read.chunks.length} chunks`);
  }
}

async function verify(file: string): Promise<boolean> {
  const parse = (f: string): Question[] =>
    fs
      .readFileSync(f, 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line));
  const questions = parse(file);
  // A set's documents are its own: the old set's never, and for another set (the held-out one) not dev's either.
  const usedDocs = new Map<string, string>();
  for (const q of parse(path.join(CORPUS_DIR, 'questions.jsonl')))
    usedDocs.set(q.doc, '../shared/corpus/questions.jsonl');
  if (path.resolve(file) !== DEFAULT_SET)
    for (const q of parse(DEFAULT_SET)) usedDocs.set(q.doc, 'bench/questions/dev.jsonl');
  const seenIds = new Set<string>();
  let failures = 0;
  const byDoc = new Map<string, Question[]>();
  for (const q of questions) byDoc.set(q.doc, [...(byDoc.get(q.doc) ?? []), q]);
  for (const [doc, docQuestions] of byDoc) {
    const read = await readDocument(doc); // one at a time: pdf.js is CPU-heavy and the machine is shared
    console.log(`\n${doc} (${read.pageCount} pages, ${read.chunks.length} chunks)`);
    for (const q of docQuestions) {
      const problems = fieldProblems(q, seenIds, usedDocs);
      const { problems: needleIssues, report } = needleProblems(q, read);
      problems.push(...needleIssues);
      console.log(
        `  ${problems.length ? 'FAIL' : 'ok  '} ${q.id} p.${q.page} ${q.kind}/${q.lang}: ${report.join('; ')}`,
      );
      for (const problem of problems) console.log(`       ! ${problem}`);
      if (problems.length) failures++;
    }
  }
  console.log(`\n${questions.length} questions over ${byDoc.size} documents, ${failures} failing`);
  console.log(`per kind:\n${countBy(questions, (q) => q.kind)}`);
  console.log(`per language:\n${countBy(questions, (q) => q.lang)}`);
  console.log(`per kind and language:\n${countBy(questions, (q) => `${q.kind}/${q.lang}`)}`);
  console.log(`per document:\n${countBy(questions, (q) => q.doc)}`);
  return failures === 0;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--dump') return dump(args[1], args.slice(2));
  if (!(await verify(args[0] ?? DEFAULT_SET))) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
