/**
 * `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266/5987), so a name with
 * quotes, semicolons, CR/LF or Chinese characters can neither break the header nor change its meaning.
 */
export function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%;]/g, '_') || 'download';
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
