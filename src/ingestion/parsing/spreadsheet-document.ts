import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { IngestionError } from '../ingestion-errors';
import { ParsedDocument, TableRow, TextBlock } from './parsed-document';
import { decodeText } from './text-decoding';
import { readZipDocument } from './zip-errors';

/** Longest cell text kept in a table (a cell holding a whole essay would crowd out its row). */
const MAX_CELL_CHARS = 2000;

/**
 * Each sheet of a workbook as a heading (the sheet's name) and one table: its first non-empty row is the
 * header, every other row a Markdown table row numbered as in the sheet. The splitter repeats the header
 * in every chunk, so each passage reads alone, and cites the sheet and rows. Cells show what Excel shows
 * (formula results, formatted dates); empty rows and sheets are left out.
 */
export async function parseXlsx(data: Buffer): Promise<ParsedDocument> {
  // exceljs inflates the archive by itself: prove first that it stays within the ZIP limits.
  await readZipDocument(data, 'Excel workbook', (zip) => zip.verifyAll());
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(data as unknown as ArrayBuffer);
  } catch (err) {
    throw new IngestionError(
      'CORRUPT_FILE',
      `The Excel workbook is damaged and cannot be read: ${(err as Error).message}`,
    );
  }
  const blocks: TextBlock[] = [];
  workbook.eachSheet((sheet) => {
    const rows: Array<{ row: number; cells: string[] }> = [];
    sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, column) => {
        cells[column - 1] = cellText(cell);
      });
      if (cells.some((c) => c?.trim())) rows.push({ row: rowNumber, cells: Array.from(cells, (c) => c ?? '') });
    });
    blocks.push(...sheetBlocks(rows, sheet.name));
  });
  return { blocks };
}

/**
 * A CSV or TSV file as one table (header = first record); row numbers count records, the header is row 1.
 * A .csv whose first line has more semicolons than commas (Excel's export in many European locales) is
 * read with ";".
 */
export function parseDelimited(data: Buffer, format: 'csv' | 'tsv'): ParsedDocument {
  const text = decodeText(data);
  const lineEnd = text.indexOf('\n');
  const firstLine = lineEnd < 0 ? text : text.slice(0, lineEnd);
  const count = (char: string): number => firstLine.split(char).length - 1;
  const delimiter = format === 'tsv' ? '\t' : count(';') > count(',') ? ';' : ',';
  let records: string[][];
  try {
    records = parseCsv(text, {
      delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      // TSV has no quoting convention; a quote inside a cell is just a character.
      quote: delimiter === '\t' ? false : '"',
    }) as string[][];
  } catch (err) {
    if (err instanceof IngestionError) throw err;
    throw new IngestionError(
      'CORRUPT_FILE',
      `The ${format.toUpperCase()} file cannot be read as a table: ${(err as Error).message}`,
    );
  }
  return {
    blocks: sheetBlocks(
      records.map((cells, i) => ({ row: i + 1, cells })),
      undefined,
    ),
  };
}

function cellText(cell: ExcelJS.Cell): string {
  let text: string;
  try {
    text = cell.text ?? '';
  } catch {
    text = String(cell.value ?? '');
  }
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS)}…` : text;
}

/** The blocks of one sheet: its name as a heading (workbooks), then the table. */
function sheetBlocks(rows: Array<{ row: number; cells: string[] }>, sheet: string | undefined): TextBlock[] {
  const filled = rows.filter((r) => r.cells.some((c) => c.trim()));
  if (!filled.length) return [];
  const width = Math.max(...filled.map((r) => r.cells.length));
  const [header, ...body] = filled;
  const headerCells = Array.from({ length: width }, (_, i) => header.cells[i]?.trim() || `column ${i + 1}`);
  const blocks: TextBlock[] = sheet ? [{ kind: 'heading', text: sheet, level: 1 }] : [];
  const tableRows: TableRow[] = body.map((r) => ({
    row: r.row,
    text: markdownRow(Array.from({ length: width }, (_, i) => r.cells[i] ?? '')),
  }));
  if (!tableRows.length) {
    // A sheet with only one row: that row is its content.
    blocks.push({ kind: 'paragraph', text: header.cells.filter((c) => c.trim()).join(' | ') });
    return blocks;
  }
  blocks.push({
    kind: 'table',
    text: `${markdownRow(headerCells)}\n${markdownRow(headerCells.map(() => '---'))}`,
    rows: tableRows,
    ...(sheet ? { sheet } : {}),
  });
  return blocks;
}

function markdownRow(cells: string[]): string {
  return `| ${cells
    .map((c) =>
      c
        .replace(/\s*\r?\n\s*/g, ' ')
        .replace(/\|/g, '\\|')
        .trim(),
    )
    .join(' | ')} |`;
}
