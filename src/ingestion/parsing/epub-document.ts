import * as path from 'node:path';
import { ZipArchive } from '../../documents/upload/zip-archive';
import { IngestionError } from '../ingestion-errors';
import { htmlElementBlocks, parseHtmlDocument } from './html-blocks';
import { ParsedDocument, TextBlock } from './parsed-document';
import { elements, readXmlPart, resolvePart } from './xml-parts';
import { readZipDocument } from './zip-errors';

const CONTAINER = 'META-INF/container.xml';
const XHTML_TYPES = new Set(['application/xhtml+xml', 'text/html']);

/**
 * An EPUB book in reading order (the package's spine): each chapter file is a "page" numbered from 1,
 * its headings keep their levels and, when a chapter has none, its title (or the table of contents'
 * entry) heads it; the text is read like an HTML page's.
 */
export async function parseEpub(data: Buffer): Promise<ParsedDocument> {
  return readZipDocument(data, 'EPUB book', readBook);
}

async function readBook(zip: ZipArchive): Promise<ParsedDocument> {
  const container = await readXmlPart(zip, CONTAINER);
  const packagePath = elements(container, 'rootfile')[0]?.getAttribute('full-path');
  const pkg = packagePath ? await readXmlPart(zip, packagePath) : undefined;
  if (!packagePath || !pkg) throw new IngestionError('CORRUPT_FILE', 'The EPUB book has no package document (OPF).');
  const dir = path.posix.dirname(packagePath);
  const manifest = new Map<string, { href: string; type: string }>();
  for (const item of elements(pkg, 'item')) {
    const id = item.getAttribute('id');
    const href = item.getAttribute('href');
    // The table of contents (EPUB 3's nav document) repeats the chapter titles: not content.
    if (/\bnav\b/.test(item.getAttribute('properties') ?? '')) continue;
    if (id && href) manifest.set(id, { href: resolvePart(dir, href), type: item.getAttribute('media-type') ?? '' });
  }
  const chapters = elements(pkg, 'itemref')
    .map((ref) => manifest.get(ref.getAttribute('idref') ?? ''))
    .filter((item): item is { href: string; type: string } => !!item && XHTML_TYPES.has(item.type));
  const blocks: TextBlock[] = [];
  let chapter = 0;
  for (const item of chapters) {
    const html = await zip.readText(item.href);
    if (html === undefined) continue;
    const document = parseHtmlDocument(html);
    const chapterBlocks = htmlElementBlocks(document.body ?? document.documentElement, chapter + 1);
    if (!chapterBlocks.some((b) => b.kind === 'paragraph')) continue; // covers, blank pages
    chapter++;
    if (!chapterBlocks.some((b) => b.kind === 'heading')) {
      const title = document.querySelector('title')?.textContent?.trim() || `Chapter ${chapter}`;
      chapterBlocks.unshift({ kind: 'heading', text: title, level: 1, page: chapter });
    }
    blocks.push(...chapterBlocks);
  }
  return { blocks, pageCount: chapter, pageUnit: 'chapter' };
}
