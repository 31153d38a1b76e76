/**
 * What every parser returns: the text as a sequence of headings, paragraphs and tables, each tagged with
 * where it came from (a PDF page, a slide, a chapter, a sheet's rows), ready for the splitter.
 */
export interface TextBlock {
  kind: 'heading' | 'paragraph' | 'table';
  /** Headings and paragraphs: the text. Tables: the Markdown header (column names and the `|---|` line). */
  text: string;
  /** Headings only: 1 = chapter, 2 = section, … */
  level?: number;
  /** 1-based position in the document's own unit (ParsedDocument.pageUnit): PDF page, slide or chapter. */
  page?: number;
  /** Tables only: the Markdown rows, each with its row number in the sheet. */
  rows?: TableRow[];
  /** Tables only: the sheet's name (workbooks; a CSV file has none). */
  sheet?: string;
}

export interface TableRow {
  text: string;
  /** 1-based row number in the sheet (the header is usually row 1). */
  row: number;
}

/** What `page` counts: PDF pages (and images, one page each), slides, or chapters in reading order. */
export type PageUnit = 'page' | 'slide' | 'chapter';

export interface ParsedDocument {
  blocks: TextBlock[];
  /** Pages, slides or chapters in the document (formats that have them). */
  pageCount?: number;
  /** Default 'page'. */
  pageUnit?: PageUnit;
  /** A PDF with a text layer made by OCR (scans, images), for the PDF viewer to select the recognized text. */
  searchablePdf?: Buffer;
}

export type { ChunkLocation } from '../../documents/chunk-location';
