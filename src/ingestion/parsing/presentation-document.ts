import { ZipArchive } from '../../documents/upload/zip-archive';
import { IngestionError } from '../ingestion-errors';
import type { DomElement } from './html-blocks';
import { ParsedDocument, TextBlock } from './parsed-document';
import { elements, readXmlPart, relationships } from './xml-parts';
import { readZipDocument } from './zip-errors';

const PRESENTATION = 'ppt/presentation.xml';
const TITLE_PLACEHOLDERS = new Set(['title', 'ctrTitle']);
/** Placeholders that repeat on every slide rather than say anything: slide numbers, dates, footers. */
const FURNITURE_PLACEHOLDERS = new Set(['sldNum', 'dt', 'ftr', 'hdr']);

/**
 * A PowerPoint presentation, one "page" per slide in the presentation's order: the slide's title is a
 * heading, its other text boxes (and tables) paragraphs, and its speaker notes a paragraph after them.
 */
export async function parsePptx(data: Buffer): Promise<ParsedDocument> {
  return readZipDocument(data, 'PowerPoint presentation', readPresentation);
}

async function readPresentation(zip: ZipArchive): Promise<ParsedDocument> {
  const presentation = await readXmlPart(zip, PRESENTATION);
  if (!presentation) throw new IngestionError('CORRUPT_FILE', 'The PowerPoint file has no presentation part.');
  const rels = await relationships(zip, PRESENTATION);
  const slideParts = elements(presentation, 'p:sldId')
    .map((slide) => rels.get(slide.getAttribute('r:id') ?? '')?.target)
    .filter((part): part is string => !!part && zip.has(part));
  const blocks: TextBlock[] = [];
  for (const [i, part] of slideParts.entries()) blocks.push(...(await slideBlocks(zip, part, i + 1)));
  return { blocks, pageCount: slideParts.length, pageUnit: 'slide' };
}

async function slideBlocks(zip: ZipArchive, part: string, slide: number): Promise<TextBlock[]> {
  const xml = await readXmlPart(zip, part);
  const blocks: TextBlock[] = [];
  let title = '';
  const body: string[] = [];
  for (const shape of [...elements(xml, 'p:sp'), ...elements(xml, 'p:graphicFrame')]) {
    const placeholder = elements(shape, 'p:ph')[0]?.getAttribute('type') ?? '';
    if (FURNITURE_PLACEHOLDERS.has(placeholder)) continue;
    const text = paragraphsOf(shape);
    if (!text) continue;
    if (!title && TITLE_PLACEHOLDERS.has(placeholder)) title = text.replace(/\s*\n\s*/g, ' ');
    else body.push(text);
  }
  blocks.push({ kind: 'heading', text: title || `Slide ${slide}`, level: 1, page: slide });
  for (const text of body) blocks.push({ kind: 'paragraph', text, page: slide });
  const notesPart = [...(await relationships(zip, part)).values()].find((r) => r.type.endsWith('/notesSlide'));
  if (notesPart) {
    const notes = await readXmlPart(zip, notesPart.target);
    const text = elements(notes, 'p:sp')
      .filter((shape) => elements(shape, 'p:ph')[0]?.getAttribute('type') === 'body')
      .map(paragraphsOf)
      .filter(Boolean)
      .join('\n');
    if (text) blocks.push({ kind: 'paragraph', text, page: slide });
  }
  return blocks;
}

/** The text of a shape: its paragraphs (a:p) on their own lines, the runs (a:t) of each joined. */
function paragraphsOf(shape: DomElement): string {
  return elements(shape, 'a:p')
    .map((p) =>
      elements(p, 'a:t')
        .map((t) => t.textContent ?? '')
        .join('')
        .trim(),
    )
    .filter(Boolean)
    .join('\n');
}
