import type { ChunkLocation } from '@/api/types';

type Translate = (key: string, params?: Record<string, unknown>) => string;

/**
 * Where a passage is: "p. 3", "pp. 3–5" (第 3 页 / 第 3–5 页) for PDF pages; for other formats its
 * location: "slide 2", "chapter 4", "Budget · rows 2–41"; '' when it has neither.
 */
export function pageLabel(
  t: Translate,
  from?: number | null,
  to?: number | null,
  location?: ChunkLocation | null,
): string {
  if (from === undefined || from === null) return location ? locationLabel(t, location) : '';
  if (to === undefined || to === null || to === from) return t('chunk.page', { n: from });
  return t('chunk.pages', { from, to });
}

function locationLabel(t: Translate, location: ChunkLocation): string {
  const unit = location.kind === 'rows' ? 'row' : location.kind;
  const range =
    location.to === location.from
      ? t(`chunk.${unit}`, { n: location.from })
      : t(`chunk.${unit}s`, { from: location.from, to: location.to });
  return location.kind === 'rows' && location.sheet ? `${location.sheet} · ${range}` : range;
}
