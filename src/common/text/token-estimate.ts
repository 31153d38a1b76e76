// CJK ideographs, kana and hangul: about one token each in common tokenizers (bge-m3, qwen2.5).
const CJK_CHAR = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/gu;

/** Estimated token count: a CJK character ≈ 1 token, other text ≈ 4 characters per token. */
export function estimateTokens(text: string): number {
  if (!text) return 0;
  const cjk = text.match(CJK_CHAR)?.length ?? 0;
  const rest = text.length - cjk;
  return cjk + Math.ceil(rest / 4);
}

/** True for a character that is written without spaces between words (Chinese, Japanese). */
export function isCjkChar(ch: string): boolean {
  return /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u.test(ch);
}
