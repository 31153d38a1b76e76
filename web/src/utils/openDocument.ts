import { fetchBlobUrl } from '@/api/http';
import { documentsApi } from '@/api';

/**
 * Opens a document's original in a new tab. The file needs the Bearer token, so it is fetched and shown
 * from a blob URL; `#page=N` makes the browser's PDF viewer jump to the cited page. With `searchable`,
 * a scan or an image opens as the PDF that OCR made of it, whose recognized text can be selected.
 * The tab is opened before the download starts so popup blockers let it through.
 */
export async function openOriginal(
  documentId: string,
  page?: number | null,
  options: { searchable?: boolean } = {},
): Promise<void> {
  const win = window.open('', '_blank');
  try {
    const file = documentsApi.fileUrl(documentId);
    const { url } = await fetchBlobUrl(options.searchable ? `${file}?copy=searchable` : file);
    const target = page ? `${url}#page=${page}` : url;
    if (win && !win.closed) win.location.href = target;
    else window.open(target, '_blank');
    setTimeout(() => URL.revokeObjectURL(url), 10 * 60_000);
  } catch (e) {
    win?.close();
    throw e;
  }
}
