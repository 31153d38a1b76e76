import * as fx from '../test/ingestion/support/format-fixtures';
import { parseDocument } from '../src/ingestion/parsing/document-parser';
import { PageRecognizer } from '../src/ingestion/parsing/ocr/page-recognizer.service';
async function main() {
  const recognizer = new PageRecognizer({ ocrConcurrency: 2, ocrLanguages: ['chi_sim', 'eng'] });
  const p = await parseDocument(fx.scannedPdf('install-latex-guide-zh-cn.pdf', [43, 44]), 'application/pdf', undefined, { ocr: { mode: 'auto', languages: ['chi_sim', 'eng'], recognizer } });
  for (const b of p.blocks) if (/[\u4e00-\u9fff] [\u4e00-\u9fff] [\u4e00-\u9fff]/u.test(b.text)) console.log(JSON.stringify(b.text.match(/.{0,20}[\u4e00-\u9fff] [\u4e00-\u9fff] [\u4e00-\u9fff].{0,20}/gu)));
}
main();
