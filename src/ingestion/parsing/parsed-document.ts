/**
 * What every parser returns: the text as a sequence of headings and paragraphs, each tagged with the
 * 1-based page it came from (PDF only), ready for the splitter.
 */
export interface TextBlock {
  kind: 'heading' | 'paragraph';
  text: string;
  /** Headings only: 1 = chapter, 2 = section, … */
  level?: number;
  page?: number;
}

export interface ParsedDocument {
  blocks: TextBlock[];
  /** PDFs only. */
  pageCount?: number;
}
