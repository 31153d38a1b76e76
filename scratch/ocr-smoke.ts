import * as fx from '../test/ingestion/support/format-fixtures';
import { parseDocument } from '../src/ingestion/parsing/document-parser';
import { PageRecognizer } from '../src/ingestion/parsing/ocr/page-recognizer.service';
import * as ft from '../src/documents/upload/file-type';
async function main() {
  const recognizer = new PageRecognizer({ ocrConcurrency: 2, ocrLanguages: ['chi_sim', 'eng'] });
  const ocr = (languages: string[]) => ({ mode: 'auto' as const, languages, recognizer, onProgress: (p: unknown) => console.log('progress', JSON.stringify(p)) });
  const t0 = Date.now();
  const mixed = fx.joinPdfs([{ source: 'R-intro.pdf', page: 3 }, { data: fx.scannedPdf('R-intro.pdf', [10]) }, { source: 'R-intro.pdf', page: 4 }]);
  const p = await parseDocument(mixed, ft.PDF_MIME, undefined, { ocr: ocr(['eng']) });
  console.log('mixed', p.pageCount, p.blocks.filter(b=>b.page===2).map(b=>b.text).join(' ').slice(0, 300), (Date.now()-t0)/1000);
  const t1 = Date.now();
  const rotated = fx.scannedPdf('R-intro.pdf', [10], { rotate: 90 });
  const r = await parseDocument(rotated, ft.PDF_MIME, undefined, { ocr: ocr(['eng']) });
  console.log('rotated', r.blocks.map(b=>b.text).join(' ').slice(0, 300), (Date.now()-t1)/1000);
  const img = await parseDocument(fx.pageImage('zhlipsum.pdf', 1, 150), ft.PNG_MIME, undefined, { ocr: ocr(['chi_sim','eng']) });
  console.log('image150', img.pageCount, img.blocks.map(b=>b.text).join(' ').slice(0, 300));
}
main().catch(e => { console.error('FAILED', e); process.exit(1); });
