import { ValueTransformer } from 'typeorm';

/** bigint columns arrive from pg as strings; sizes here always fit in a JS number. */
export const bigintToNumber: ValueTransformer = {
  to: (value?: number | null) => value,
  from: (value?: string | null) => (value === null || value === undefined ? value : Number(value)),
};
