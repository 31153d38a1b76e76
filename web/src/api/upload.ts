import { ApiError, getToken, raise } from './http';
import type { UploadedDocument } from './types';

export interface UploadHandle {
  promise: Promise<UploadedDocument[]>;
  abort: () => void;
}

/**
 * Uploads files as multipart/form-data (field "files") with XMLHttpRequest, the one browser API that
 * reports upload progress. Resolves to the 202 body's `documents`; rejects with ApiError (413, 415, …).
 */
export function uploadFiles(
  knowledgeBaseId: string,
  files: File[],
  onProgress: (fraction: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<UploadedDocument[]>((resolve, reject) => {
    const form = new FormData();
    for (const f of files) form.append('files', f, f.name);
    xhr.open('POST', `/api/knowledge-bases/${encodeURIComponent(knowledgeBaseId)}/documents`);
    const token = getToken();
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(Math.min(1, e.loaded / e.total));
    };
    xhr.onload = () => {
      let body: unknown;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        body = xhr.responseText;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        const docs = (body as { documents?: UploadedDocument[] } | undefined)?.documents ?? [];
        resolve(docs);
        return;
      }
      const b = body as { message?: string | string[]; error?: string } | string | undefined;
      let message = `${xhr.status} ${xhr.statusText}`;
      if (b && typeof b === 'object' && b.message)
        message = Array.isArray(b.message) ? b.message.join('; ') : b.message;
      else if (typeof b === 'string' && b.trim()) message = b.trim().slice(0, 300);
      const code = b && typeof b === 'object' && typeof b.error === 'string' ? b.error : `HTTP_${xhr.status}`;
      const err = new ApiError(xhr.status, code, message, body);
      raise(err);
      reject(err);
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK_ERROR', 'Network error'));
    xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'Cancelled'));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
