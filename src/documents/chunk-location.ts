/**
 * Where a chunk is, for citations of formats without PDF pages: slides or chapters (from-to), or a
 * sheet's rows. PDF chunks have none (their pages are in pageFrom/pageTo).
 */
export interface ChunkLocation {
  kind: 'slide' | 'chapter' | 'rows';
  from: number;
  to: number;
  /** Rows only: the sheet's name (workbooks; a CSV file has none). */
  sheet?: string;
}
