import type { DocumentItem, DocumentStatus } from '@/api/types';

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

/** "OCR page 3 of 40" in a document's status detail (written by the worker while it recognizes scans). */
export function ocrProgress(detail: string | null | undefined): { page: number; of: number } | null {
  const match = /^OCR page (\d+) of (\d+)$/.exec(detail ?? '');
  return match ? { page: Number(match[1]), of: Number(match[2]) } : null;
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
