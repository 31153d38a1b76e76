import * as fs from 'node:fs';
import { extractPdfPages } from './ingestion/parsing/pdf-text-extractor';
import { cleanPdfPages } from './ingestion/parsing/pdf-text-cleanup';
(async () => {
  const pages = await extractPdfPages(fs.readFileSync(process.argv[2]));
  const blocks = cleanPdfPages(pages);
  fs.writeFileSync(process.argv[3], blocks.map((b) => `[p${b.page} ${b.kind}${b.level ?? ''}] ${b.text}`).join('\n\n'));
  fs.writeFileSync(process.argv[3] + '.raw', pages.map((p) => `=====PAGE ${p.num}\n${p.text}`).join('\n'));
})();
