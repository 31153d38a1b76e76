import * as fx from '../test/ingestion/support/format-fixtures';
import { parseDocument } from '../src/ingestion/parsing/document-parser';
import { splitIntoChunks } from '../src/ingestion/splitting/text-splitter';
import * as ft from '../src/documents/upload/file-type';
async function main() {
  const show = async (name: string, mime: string, data: Buffer) => {
    try {
      const p = await parseDocument(data, mime, undefined, {});
      const chunks = splitIntoChunks(p.blocks, { chunkSize: 200, chunkOverlap: 20, pageUnit: p.pageUnit });
      console.log(`== ${name}: ${p.blocks.length} blocks, ${chunks.length} chunks, pageCount ${p.pageCount}`);
      for (const c of chunks.slice(0, 3)) console.log(JSON.stringify({ title: c.title, loc: c.location, page: c.pageFrom, content: c.content.slice(0, 300) }));
    } catch (e) { console.log(`== ${name}: ERROR`, (e as any).code, (e as Error).message); }
  };
  await show('tsv', ft.TSV_MIME, fx.countriesTsv());
  await show('csv', ft.CSV_MIME, fx.zonesCsv());
  await show('xlsx', ft.XLSX_MIME, await fx.countriesWorkbook());
  await show('pptx', ft.PPTX_MIME, await fx.presentation([{ title: '第一张 Intro', body: ['Hello world', '知识库问答'], notes: 'Speaker notes here' }, { title: 'Second', body: ['More text'] }]));
  await show('epub', ft.EPUB_MIME, await fx.epubBook('书', [{ file: 'ch 2.xhtml', title: '第二章', html: '<h1>第二章 向量</h1><p>向量存入 pgvector。</p>' }, { file: 'a1.xhtml', title: '第三章', html: '<p>没有标题的章节内容。</p>' }]));
  await show('html', ft.HTML_MIME, fx.unpaperPageWithFurniture());
  await show('badcsv', ft.CSV_MIME, Buffer.from('a,b\n"unclosed,2\n'));
}
main();
