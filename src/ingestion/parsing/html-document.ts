import { Readability } from '@mozilla/readability';
import { decodeText } from './text-decoding';
import { htmlElementBlocks, PAGE_FURNITURE, parseHtmlDocument } from './html-blocks';
import { ParsedDocument, TextBlock } from './parsed-document';

/** Readability needs this much text in its article to trust it over the whole body (short pages). */
const MIN_ARTICLE_SHARE = 0.3;

/**
 * An HTML page's main content: Mozilla's Readability (Firefox's reader view) finds the article and
 * drops navigation, sidebars and page furniture; pages it does not recognize as an article keep their
 * body without nav/header/footer/aside. Headings h1–h6 keep their levels (the page's title heads the
 * article), links are their text; scripts and styles are never read.
 */
export async function parseHtml(data: Buffer): Promise<ParsedDocument> {
  const html = decodeText(data);
  const page = parseHtmlDocument(html);
  const bodyText = (page.body?.textContent ?? '').replace(/\s+/g, '');
  const article = new Readability(parseHtmlDocument(html), { charThreshold: 200 }).parse();
  let blocks: TextBlock[];
  const articleText = (article?.textContent ?? '').replace(/\s+/g, '');
  if (article?.content && articleText.length >= bodyText.length * MIN_ARTICLE_SHARE) {
    const content = parseHtmlDocument(`<html><body>${article.content}</body></html>`);
    blocks = htmlElementBlocks(content.body ?? content.documentElement);
    const title = article.title?.trim();
    // Readability turns the page's h1 into its title and the article's other h1s into h2s.
    if (title && !blocks.some((b) => b.kind === 'heading' && b.level === 1)) {
      blocks.unshift({ kind: 'heading', text: title, level: 1 });
    }
  } else {
    for (const element of Array.from(page.querySelectorAll(PAGE_FURNITURE))) element.remove();
    blocks = htmlElementBlocks(page.body ?? page.documentElement);
  }
  return { blocks };
}
