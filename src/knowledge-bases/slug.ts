import { randomBytes } from 'node:crypto';

const MAX_SLUG_BASE = 60;

/** A URL-safe name from ASCII letters and digits of `name`; "kb-<random>" when it has none (e.g. Chinese). */
export function slugFromName(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_BASE)
    .replace(/-+$/, '');
  return base.length >= 2 ? base : `kb-${randomSuffix()}`;
}

export function withRandomSuffix(slug: string): string {
  return `${slug}-${randomSuffix()}`;
}

function randomSuffix(): string {
  return randomBytes(3).toString('hex');
}
