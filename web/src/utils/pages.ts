type Translate = (key: string, params?: Record<string, unknown>) => string;

/** "p. 3", "pp. 3–5" (第 3 页 / 第 3–5 页), or '' when the chunk has no page numbers. */
export function pageLabel(t: Translate, from?: number | null, to?: number | null): string {
  if (from === undefined || from === null) return '';
  if (to === undefined || to === null || to === from) return t('chunk.page', { n: from });
  return t('chunk.pages', { from, to });
}
