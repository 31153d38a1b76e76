import { parseHTML } from 'linkedom';
import { TextBlock } from './parsed-document';

/** Elements whose text is never content. */
const SKIPPED = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'canvas',
  'iframe',
  'object',
  'button',
  'select',
  'textarea',
  'input',
  'head',
  'title',
  'meta',
  'link',
]);
/** Navigation and page furniture, dropped when the main content has to be found without Readability. */
export const PAGE_FURNITURE =
  'nav, header, footer, aside, form, [role="navigation"], [role="banner"], [role="contentinfo"], [aria-hidden="true"]';
/** Elements that end the paragraph before them and start a new one. */
const BLOCK_ELEMENTS = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'blockquote',
  'ul',
  'ol',
  'li',
  'dl',
  'dt',
  'dd',
  'figure',
  'figcaption',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'caption',
  'address',
  'hr',
  'center',
  'details',
  'summary',
  'body',
  'html',
]);

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;

/** The part of linkedom's DOM the readers use (the project compiles without the browser's DOM types). */
export interface DomNode {
  nodeType: number;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
  tagName?: string;
}

export interface DomElement extends DomNode {
  tagName: string;
  getAttribute(name: string): string | null;
  getElementsByTagName(tag: string): ArrayLike<DomElement>;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  remove(): void;
}

export interface DomDocument extends DomElement {
  body: DomElement | null;
  documentElement: DomElement;
}

/** Parses HTML (or XHTML) into a DOM with linkedom. */
export function parseHtmlDocument(html: string): DomDocument {
  return parseHTML(html).document as unknown as DomDocument;
}

/**
 * Headings (h1–h6 keep their level) and paragraphs of an HTML element, in document order: block elements
 * end paragraphs, inline ones (links, emphasis) stay inside them as their text, whitespace collapses
 * as a browser shows it, <pre> keeps its lines, a table row becomes one line with its cells separated
 * by " | ". Scripts, styles and form controls are skipped. `page` tags every block (EPUB chapters).
 */
export function htmlElementBlocks(root: DomNode, page?: number): TextBlock[] {
  const blocks: TextBlock[] = [];
  let inline = '';
  const tag = (block: TextBlock): TextBlock => (page === undefined ? block : { ...block, page });
  const flush = (): void => {
    const text = inline
      .split('\n')
      .map((line) => line.replace(/[ \t\r\f\v\u00a0]+/g, ' ').trim())
      .filter(Boolean)
      .join('\n');
    if (text) blocks.push(tag({ kind: 'paragraph', text }));
    inline = '';
  };
  const walk = (node: DomNode): void => {
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType === TEXT_NODE) {
        inline += (child.textContent ?? '').replace(/\s+/g, ' ');
        continue;
      }
      if (child.nodeType !== ELEMENT_NODE || !child.tagName) continue;
      const name = child.tagName.toLowerCase();
      if (SKIPPED.has(name)) continue;
      const heading = /^h([1-6])$/.exec(name);
      if (heading) {
        flush();
        const text = (child.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (text) blocks.push(tag({ kind: 'heading', text, level: Number(heading[1]) }));
      } else if (name === 'pre') {
        flush();
        const text = (child.textContent ?? '').replace(/^\n+|\s+$/g, '');
        if (text.trim()) blocks.push(tag({ kind: 'paragraph', text }));
      } else if (name === 'br') {
        inline += '\n';
      } else if (name === 'tr') {
        flush();
        const cells = Array.from(child.childNodes)
          .filter((c) => c.nodeType === ELEMENT_NODE && /^t[dh]$/i.test(c.tagName ?? ''))
          .map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim());
        inline = cells.filter(Boolean).join(' | ');
        flush();
      } else if (BLOCK_ELEMENTS.has(name)) {
        flush();
        walk(child);
        flush();
      } else {
        walk(child);
      }
    }
  };
  walk(root);
  flush();
  return mergeTableRows(blocks);
}

/** Consecutive table-row lines ("a | b") of one table read better as one paragraph than one per row. */
function mergeTableRows(blocks: TextBlock[]): TextBlock[] {
  const merged: TextBlock[] = [];
  for (const block of blocks) {
    const previous = merged[merged.length - 1];
    if (
      previous?.kind === 'paragraph' &&
      block.kind === 'paragraph' &&
      previous.page === block.page &&
      previous.text.includes(' | ') &&
      block.text.includes(' | ') &&
      !block.text.includes('\n')
    ) {
      previous.text += `\n${block.text}`;
      continue;
    }
    merged.push(block);
  }
  return merged;
}
