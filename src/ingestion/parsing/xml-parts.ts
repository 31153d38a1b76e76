import * as path from 'node:path';
import { DOMParser } from 'linkedom';
import { ZipArchive } from '../../documents/upload/zip-archive';
import type { DomDocument, DomElement } from './html-blocks';

/** An XML part of an archive as a DOM (linkedom's XML mode: tag names keep their prefixes, e.g. "a:t"). */
export async function readXmlPart(zip: ZipArchive, name: string): Promise<DomDocument | undefined> {
  const text = await zip.readText(name);
  if (text === undefined) return undefined;
  return new DOMParser().parseFromString(text, 'text/xml') as unknown as DomDocument;
}

/** Elements named `tag` (with its prefix, e.g. "p:sldId") under `root`, in document order. */
export function elements(root: DomElement | undefined | null, tag: string): DomElement[] {
  if (!root) return [];
  return Array.from(root.getElementsByTagName(tag));
}

/** Id → target part of an OOXML relationships part, targets resolved against the part they belong to. */
export async function relationships(
  zip: ZipArchive,
  part: string,
): Promise<Map<string, { target: string; type: string }>> {
  const dir = path.posix.dirname(part);
  const rels = await readXmlPart(zip, path.posix.join(dir, '_rels', `${path.posix.basename(part)}.rels`));
  const map = new Map<string, { target: string; type: string }>();
  for (const rel of elements(rels, 'Relationship')) {
    const id = rel.getAttribute('Id');
    const target = rel.getAttribute('Target');
    if (!id || !target || rel.getAttribute('TargetMode') === 'External') continue;
    map.set(id, { target: resolvePart(dir, target), type: rel.getAttribute('Type') ?? '' });
  }
  return map;
}

/** A part name from a reference relative to `dir` (URL-encoded, maybe absolute from the archive's root). */
export function resolvePart(dir: string, reference: string): string {
  const decoded = safeDecode(reference.split('#')[0]);
  return decoded.startsWith('/') ? decoded.slice(1) : path.posix.normalize(path.posix.join(dir, decoded));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
