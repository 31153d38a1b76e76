import MarkdownIt from 'markdown-it';
import type StateInline from 'markdown-it/lib/rules_inline/state_inline.mjs';
import DOMPurify from 'dompurify';

/**
 * Answer rendering: Markdown (markdown-it, raw HTML off) → sanitized with DOMPurify.
 * Citation markers `[1]`, `[1, 2]`, `[1][2]`, `[1，2]` become links `<a class="zk-cite" data-cite="1">`
 * for indices that really are sources of this answer; any other bracketed number stays text.
 */
const CITE = /^\[(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\](?!\()/;

function citationRule(state: StateInline, silent: boolean): boolean {
  if (state.src.charCodeAt(state.pos) !== 0x5b /* [ */) return false;
  const m = CITE.exec(state.src.slice(state.pos));
  if (!m) return false;
  const valid: Set<number> | undefined = state.env?.citations;
  const nums = m[1].split(/\s*[,，、]\s*/).map(Number);
  if (!valid || !nums.every((n) => valid.has(n))) return false;
  if (!silent) {
    for (const n of nums) {
      const token = state.push('zk_cite', 'sup', 0);
      token.meta = { n };
    }
  }
  state.pos += m[0].length;
  return true;
}

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
md.inline.ruler.before('link', 'zk_cite', citationRule);
md.renderer.rules.zk_cite = (tokens, idx) => {
  const n = Number(tokens[idx].meta.n);
  return `<sup class="zk-cite-wrap"><a href="#cite-${n}" class="zk-cite" data-cite="${n}" role="button">${n}</a></sup>`;
};
// External links open in a new tab without handing over window.opener.
const defaultLinkOpen = md.renderer.rules.link_open ?? ((t, i, o, _e, self) => self.renderToken(t, i, o));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('target', '_blank');
  tokens[idx].attrSet('rel', 'noopener noreferrer');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

export function renderAnswer(text: string, citationIndices: Iterable<number>): string {
  const html = md.render(text ?? '', { citations: new Set(citationIndices) });
  return DOMPurify.sanitize(html, { ADD_ATTR: ['target'], FORBID_TAGS: ['style', 'form', 'input'] });
}
