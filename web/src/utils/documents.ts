import type { DocumentItem, DocumentStatus } from '../api/types';

export const FINAL: DocumentStatus[] = ['ready', 'failed'];
export const isFinal = (s: DocumentStatus) => FINAL.includes(s);

/** What the server accepts (FILE_FORMATS in src/documents/upload/file-type.ts); images and scans are read by OCR. */
export const ACCEPTED_EXTENSIONS = [
  '.pdf',
  '.docx',
  '.xlsx',
  '.csv',
  '.tsv',
  '.pptx',
  '.epub',
  '.html',
  '.htm',
  '.md',
  '.markdown',
  '.txt',
  '.text',
  '.png',
  '.jpg',
  '.jpeg',
  '.tif',
  '.tiff',
  '.webp',
];
export const ACCEPT_ATTR =
  ACCEPTED_EXTENSIONS.join(',') +
  ',application/pdf,text/plain,text/markdown,text/html,text/csv,text/tab-separated-values,application/epub+zip,image/png,image/jpeg,image/tiff,image/webp';

/**
 * The status details the worker writes, in English (src/ingestion/status-details.ts), as keys
 * of the UI's own words under `doc.detail`: the Chinese UI says them in Chinese. A detail not listed is
 * shown as the server wrote it.
 */
const STATUS_DETAILS: Array<{
  pattern: RegExp;
  key: string;
  values?: (match: RegExpExecArray) => Record<string, number>;
}> = [
  { pattern: /^OCR page (\d+) of (\d+)$/, key: 'ocrPage', values: (m) => ({ page: Number(m[1]), of: Number(m[2]) }) },
  { pattern: /^Waiting for OCR\b/, key: 'waitingForOcr' },
  { pattern: /^Waiting for a PDF reader\b/, key: 'waitingForReader' },
  { pattern: /^Waiting for Ollama\b/, key: 'waitingForOllama' },
  { pattern: /^Waiting to retry\b/, key: 'waitingToRetry' },
  { pattern: /^Building the search index$/, key: 'buildingIndex' },
  { pattern: /^Retrying after an unexpected error\b/, key: 'retryingUnknown' },
];

/** A document's status detail as a message key (under `doc.detail`) and its values; null when unknown. */
export function statusDetailWords(
  detail: string | null | undefined,
): { key: string; values: Record<string, number> } | null {
  for (const { pattern, key, values } of STATUS_DETAILS) {
    const match = pattern.exec(detail ?? '');
    if (match) return { key: `doc.detail.${key}`, values: values?.(match) ?? {} };
  }
  return null;
}

export function hasAcceptedExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return ACCEPTED_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/**
 * One change from GET /api/knowledge-bases/:id/events: `document.updated` / `document.deleted` with
 * `{type, knowledgeBaseId, document: {id, status, progress, statusDetail, pageCount, chunkCount, error}, at}`.
 * (`snapshot` and `knowledge-base.deleted` are handled by the documents page.) Also accepted: the
 * document itself, or `{documentId, …}`.
 */
export function parseDocumentEvent(
  event: string,
  data: unknown,
): { id: string; patch: Partial<DocumentItem>; deleted: boolean } | null {
  if (!data || typeof data !== 'object') return null;
  const raw = data as Record<string, unknown>;
  const d = (raw.document && typeof raw.document === 'object' ? raw.document : raw) as Record<string, unknown>;
  const id = (raw.documentId ?? d.documentId ?? d.id) as string | undefined;
  if (!id || typeof id !== 'string') return null;
  const deleted = /delet|remov/i.test(event) || raw.deleted === true || raw.type === 'deleted';
  const patch: Partial<DocumentItem> = {};
  const keys: (keyof DocumentItem)[] = [
    'filename',
    'status',
    'progress',
    'statusDetail',
    'pageCount',
    'chunkCount',
    'error',
    'sizeBytes',
    'mimeType',
    'updatedAt',
  ];
  for (const k of keys) if (k in d) (patch as Record<string, unknown>)[k] = d[k];
  if ('errorCode' in d && !('error' in d)) {
    patch.error = d.errorCode ? { code: String(d.errorCode), message: String(d.errorMessage ?? '') } : null;
  }
  return { id, patch, deleted };
}
