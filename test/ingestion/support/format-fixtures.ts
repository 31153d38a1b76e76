import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ExcelJS from 'exceljs';
import { CORPUS_DIR } from './ingestion-client';

type JSZipLike = {
  file(name: string, data: string | Buffer, options?: { compression?: 'STORE' | 'DEFLATE' }): void;
  generateAsync(opts: { type: 'nodebuffer'; compression?: 'DEFLATE' | 'STORE' }): Promise<Buffer>;
};
const JSZip = require('jszip') as new () => JSZipLike;

const xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Files of Debian's packages that the format tests read (tzdata is "required"; unpaper comes with the OCR tools). */
export const DEBIAN_FILES = {
  countries: '/usr/share/zoneinfo/iso3166.tab',
  zones: '/usr/share/zoneinfo/zone1970.tab',
  unpaperHtml: '/usr/share/doc/unpaper/html/file-formats.html',
};

/** Lines of a tzdata table without its # comments, as cells. */
export function tzdataRows(file: string): string[][] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split('\t'));
}

/** tzdata's country table as a TSV file with a header row. */
export function countriesTsv(): Buffer {
  const rows = [['code', 'country'], ...tzdataRows(DEBIAN_FILES.countries)];
  return Buffer.from(rows.map((r) => r.join('\t')).join('\n') + '\n');
}

/** tzdata's time-zone table as CSV, quoted where a cell holds a comma or a quote (its comments do). */
export function zonesCsv(): Buffer {
  const quote = (cell: string): string => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  const rows = [['countries', 'coordinates', 'zone', 'comments'], ...tzdataRows(DEBIAN_FILES.zones)];
  return Buffer.from(rows.map((r) => r.map(quote).join(',')).join('\r\n') + '\r\n');
}

/** A workbook written by exceljs: the country table (Chinese header) and the zones table on a second sheet. */
export async function countriesWorkbook(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const countries = workbook.addWorksheet('国家 Countries');
  countries.addRow(['代码 code', '名称 name']);
  for (const [code, name] of tzdataRows(DEBIAN_FILES.countries)) countries.addRow([code, name]);
  const zones = workbook.addWorksheet('Zones');
  zones.addRow(['countries', 'coordinates', 'zone', 'comments', 'length']);
  for (const [codes, coordinates, zone, comments] of tzdataRows(DEBIAN_FILES.zones)) {
    // A formula: the cell shows its result.
    const row = zones.addRow([codes, coordinates, zone, comments ?? '']);
    row.getCell(5).value = { formula: `LEN(C${row.number})`, result: zone.length };
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

export interface Slide {
  title: string;
  body: string[];
  notes?: string;
}

/** A .pptx (PresentationML) with one title and one body placeholder per slide, and speaker notes. */
export async function presentation(slides: Slide[]): Promise<Buffer> {
  const zip = new JSZip();
  const p =
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';
  const rel = (id: string, type: string, target: string): string =>
    `<Relationship Id="${id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/${type}" Target="${target}"/>`;
  const rels = (items: string[]): string =>
    `${xml}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${items.join('')}</Relationships>`;
  const shape = (type: string | null, paragraphs: string[]): string =>
    `<p:sp><p:nvSpPr><p:cNvPr id="2" name="s"/><p:cNvSpPr/><p:nvPr>${type ? `<p:ph type="${type}"/>` : ''}</p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/>${paragraphs
      .map((t) => `<a:p><a:r><a:t>${escape(t)}</a:t></a:r></a:p>`)
      .join('')}</p:txBody></p:sp>`;
  zip.file(
    '[Content_Types].xml',
    `${xml}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>${slides
      .map(
        (_, i) =>
          `<Override PartName="/ppt/slides/slide${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/>`,
      )
      .join('')}</Types>`,
  );
  zip.file('_rels/.rels', rels([rel('rId1', 'officeDocument', 'ppt/presentation.xml')]));
  // Listed in reverse file order: the presentation's order, not the file names, decides.
  const order = slides.map((_, i) => i).reverse();
  zip.file(
    'ppt/presentation.xml',
    `${xml}<p:presentation ${p}><p:sldIdLst>${order
      .map((i, n) => `<p:sldId id="${256 + n}" r:id="rId${i + 10}"/>`)
      .join('')}</p:sldIdLst></p:presentation>`,
  );
  zip.file(
    'ppt/_rels/presentation.xml.rels',
    rels(slides.map((_, i) => rel(`rId${i + 10}`, 'slide', `slides/slide${i + 1}.xml`))),
  );
  slides.forEach((slide, i) => {
    zip.file(
      `ppt/slides/slide${i + 1}.xml`,
      `${xml}<p:sld ${p}><p:cSld><p:spTree>${shape('title', [slide.title])}${shape(null, slide.body)}${shape('sldNum', [String(i + 1)])}</p:spTree></p:cSld></p:sld>`,
    );
    if (slide.notes) {
      zip.file(
        `ppt/slides/_rels/slide${i + 1}.xml.rels`,
        rels([rel('rId1', 'notesSlide', `../notesSlides/notesSlide${i + 1}.xml`)]),
      );
      zip.file(
        `ppt/notesSlides/notesSlide${i + 1}.xml`,
        `${xml}<p:notes ${p}><p:cSld><p:spTree>${shape('sldImg', [])}${shape('body', [slide.notes])}</p:spTree></p:cSld></p:notes>`,
      );
    }
  });
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

export interface Chapter {
  file: string;
  title: string;
  html: string;
}

/** An EPUB 3 book whose spine lists the chapters in the given order (files named otherwise). */
export async function epubBook(title: string, chapters: Chapter[]): Promise<Buffer> {
  const zip = new JSZip();
  zip.file('mimetype', 'application/epub+zip', { compression: 'STORE' });
  zip.file(
    'META-INF/container.xml',
    `${xml}<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
  );
  zip.file(
    'OEBPS/content.opf',
    `${xml}<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">zhiku-test</dc:identifier><dc:title>${escape(title)}</dc:title><dc:language>zh</dc:language></metadata><manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/><item id="cover" href="cover.xhtml" media-type="application/xhtml+xml"/>${chapters
      .map((c, i) => `<item id="c${i}" href="text/${encodeURIComponent(c.file)}" media-type="application/xhtml+xml"/>`)
      .join(
        '',
      )}</manifest><spine><itemref idref="cover"/>${chapters.map((_, i) => `<itemref idref="c${i}"/>`).join('')}</spine></package>`,
  );
  const page = (t: string, body: string): string =>
    `${xml}<!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head><title>${escape(t)}</title></head><body>${body}</body></html>`;
  zip.file(
    'OEBPS/nav.xhtml',
    page('目录', `<nav><ol>${chapters.map((c) => `<li>${escape(c.title)}</li>`).join('')}</ol></nav>`),
  );
  zip.file('OEBPS/cover.xhtml', page(title, '<div><img src="cover.png" alt=""/></div>'));
  for (const c of chapters) zip.file(`OEBPS/text/${c.file}`, page(c.title, c.html));
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** Debian's unpaper manual page with a site's furniture around it: navigation, a script, a style, a footer. */
export function unpaperPageWithFurniture(): Buffer {
  const page = fs.readFileSync(DEBIAN_FILES.unpaperHtml, 'utf8');
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(page)?.[1] ?? page;
  return Buffer.from(
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>File Formats – unpaper</title>
<style>body { font-family: sans-serif } .menu-secret-style { color: red }</style>
<script>window.trackingSecret = "analytics-script-text";</script></head>
<body><nav class="site-nav"><ul><li><a href="/">Home navigation link</a></li><li><a href="/about">About this site</a></li></ul></nav>
<main><article>${body}</article></main>
<footer>Footer copyright notice of the website</footer></body></html>`,
  );
}

/** One page of a corpus PDF as a grey PNG file, rendered by pdftoppm at `dpi` (to an A4 sheet's pixels with `a4`). */
function renderPage(source: string, page: number, prefix: string, dpi: number, a4 = false): string {
  const size = a4
    ? ['-scale-to-x', String(Math.round((210 / 25.4) * dpi)), '-scale-to-y', String(Math.round((297 / 25.4) * dpi))]
    : [];
  // An A4 sheet as a PGM: the PNG pdftoppm writes would say the resolution of the original's own size (a
  // letter page: 292 × 319 ppi), which img2pdf keeps; a PGM says none, and is given its own.
  const format = a4 ? [] : ['-png'];
  const args = ['-f', String(page), '-l', String(page), '-r', String(dpi), ...size, '-gray', ...format, '-singlefile'];
  const drawn = spawnSync('pdftoppm', [...args, path.join(CORPUS_DIR, source), prefix], { encoding: 'utf8' });
  if (drawn.status !== 0) throw new Error(`pdftoppm failed on ${source} page ${page}: ${drawn.stderr}`);
  // Without poppler-data, text in fonts the PDF does not embed is left out of the picture: a "scan" of
  // such a page would silently lack its Chinese.
  if (/Missing language pack/.test(drawn.stderr)) {
    throw new Error(`pdftoppm cannot draw ${source} page ${page} whole: install poppler-data (npm run ocr:install)`);
  }
  return `${prefix}.${a4 ? 'pgm' : 'png'}`;
}

/**
 * Corpus pages "scanned": rendered to grey images by pdftoppm at `dpi`, optionally rotated or scaled to
 * an A4 sheet (2480 × 3508 pixels at 300 dpi), and put into a PDF by img2pdf, so the PDF has pictures of
 * the pages and no text layer at all.
 */
export function scannedPdf(
  source: string,
  pages: number[],
  options: { dpi?: number; rotate?: number; a4?: boolean } = {},
): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhiku-scan-'));
  try {
    const images = pages.map((page) =>
      renderPage(source, page, path.join(dir, `page-${page}`), options.dpi ?? 300, options.a4),
    );
    const args = [...images, '-o', path.join(dir, 'scan.pdf')];
    if (options.a4) args.unshift('--imgsize', `${options.dpi ?? 300}dpi`);
    if (options.rotate) args.unshift('--rotation', String(options.rotate));
    execFileSync('img2pdf', args);
    return fs.readFileSync(path.join(dir, 'scan.pdf'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A page of a corpus PDF as a PNG image (what a phone or a scanner would give). */
export function pageImage(source: string, page: number, dpi = 300): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhiku-image-'));
  try {
    return fs.readFileSync(renderPage(source, page, path.join(dir, 'page'), dpi));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Pages of corpus PDFs put together in one PDF by qpdf (e.g. text pages around a scanned one). */
export function joinPdfs(parts: Array<{ data: Buffer } | { source: string; page: number }>): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhiku-join-'));
  try {
    const args = ['--empty', '--pages'];
    parts.forEach((part, i) => {
      if ('data' in part) {
        const file = path.join(dir, `part-${i}.pdf`);
        fs.writeFileSync(file, part.data);
        args.push(file);
      } else {
        args.push(path.join(CORPUS_DIR, part.source), String(part.page));
      }
    });
    args.push('--', path.join(dir, 'joined.pdf'));
    execFileSync('qpdf', args);
    return fs.readFileSync(path.join(dir, 'joined.pdf'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A ZIP whose one part inflates from a few kilobytes to `megabytes` MB of zeros: a zip bomb. */
export async function zipBomb(partName: string, megabytes: number): Promise<Buffer> {
  const zip = new JSZip();
  zip.file(partName, Buffer.alloc(megabytes * 1024 * 1024));
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** A ZIP with `count` tiny parts (more than any document has). */
export async function zipWithManyParts(marker: string, count: number): Promise<Buffer> {
  const zip = new JSZip();
  zip.file(marker, '<x/>');
  for (let i = 0; i < count; i++) zip.file(`junk/${i}.txt`, 'x');
  return zip.generateAsync({ type: 'nodebuffer', compression: 'STORE' });
}
