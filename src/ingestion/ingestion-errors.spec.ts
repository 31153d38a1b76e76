import en from '../../web/src/locales/en';
import zhCN from '../../web/src/locales/zh-CN';
import { INGESTION_ERROR_CODES } from './ingestion-errors';

/** Permanent failures classified from database and model errors (ingestion-failure.ts). */
const CLASSIFIED_CODES = ['TEXT_TOO_LONG_FOR_MODEL', 'UNSTORABLE_TEXT', 'CONSTRAINT_VIOLATION', 'TOO_LARGE_TO_INDEX'];

describe("a failed document's code in the admin UI", () => {
  it('has words in both languages for every code a document can fail with, and none for codes that do not exist', () => {
    const codes = [...INGESTION_ERROR_CODES, ...CLASSIFIED_CODES].sort();
    expect(Object.keys(en.doc.errors).sort()).toEqual(codes);
    expect(Object.keys(zhCN.doc.errors).sort()).toEqual(codes);
  });
});
