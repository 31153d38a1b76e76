import { estimateTokens, isCjkChar } from '../common/text/token-estimate';
import type { ChunkLocation } from '../documents/chunk-location';
import type { ChatMessage } from '../llm/llm.types';

export type AnswerLanguage = 'zh' | 'en';

/**
 * Default instructions. A knowledge base may replace them (settings.prompt); its text may place the
 * sources itself with `{sources}`, and name the knowledge base with `{knowledgeBase}`.
 * Mind the fake Ollama in tests: the words "standalone"/"独立" mark a rewrite request, so answer prompts avoid them.
 */
export const DEFAULT_SYSTEM_PROMPTS: Record<AnswerLanguage, string> = {
  en: [
    'You are zhiku, an assistant that answers questions about the knowledge base "{knowledgeBase}" using only the numbered sources given with the question.',
    'Rules:',
    '- Answer in the language of the question.',
    '- Use only facts stated in the sources; do not add outside knowledge.',
    '- After each statement taken from a source, cite it as [n], for example [1] or [2][3]. Cite only numbers that appear in the sources.',
    '- If the sources do not contain the answer, say plainly that the knowledge base does not contain it. Do not guess.',
    '- Be concise.',
  ].join('\n'),
  zh: [
    '你是知库的问答助手，只根据随问题给出的编号资料回答关于知识库「{knowledgeBase}」的问题。',
    '规则：',
    '- 用提问所用的语言回答。',
    '- 只使用资料中写明的事实，不要加入资料以外的知识。',
    '- 每句用到资料的话后面用 [n] 标注出处，例如 [1] 或 [2][3]；只能引用资料中出现的编号。',
    '- 如果资料中没有答案，请直接说明知识库中没有相关内容，不要猜测。',
    '- 回答简洁。',
  ].join('\n'),
};

/** For the `model` no-hit mode: nothing relevant was found, and the model may answer from what it knows. */
export const NO_SOURCES_SYSTEM_PROMPTS: Record<AnswerLanguage, string> = {
  en:
    'You are zhiku, an assistant for the knowledge base "{knowledgeBase}". No passage of the knowledge base matched ' +
    'this question. First say plainly that the knowledge base does not cover it; then you may answer from general ' +
    'knowledge, marked as such. Answer in the language of the question.',
  zh:
    '你是知库的问答助手，服务于知识库「{knowledgeBase}」。知识库中没有找到与这个问题相关的内容。请先直接说明知识库中没有相关内容，' +
    '然后可以根据常识回答，并注明这不是来自知识库。用提问所用的语言回答。',
};

export const DEFAULT_NO_HIT_TEXTS: Record<AnswerLanguage, string> = {
  en: 'I could not find anything about this in the knowledge base.',
  zh: '知识库中没有找到与这个问题相关的内容。',
};

const REWRITE_SYSTEM_PROMPTS: Record<AnswerLanguage, string> = {
  en:
    "Rewrite the user's follow-up question as a standalone search query that can be understood without the " +
    'conversation: replace pronouns and references with what they refer to. Keep the language of the question. ' +
    'Reply with the rewritten query only, nothing else.',
  zh: '请把用户的后续问题改写成一个不依赖上下文、可以独立理解的检索问题：把代词和指代换成它们所指的内容。保持提问的语言。只输出改写后的问题，不要输出其他内容。',
};

const LABELS = {
  en: {
    sources: 'Sources:',
    question: 'Question:',
    none: '(no matching passages)',
    page: 'page',
    pages: 'pages',
    user: 'User',
    assistant: 'Assistant',
    conversation: 'Conversation:',
    followUp: 'Follow-up question:',
  },
  zh: {
    sources: '资料：',
    question: '问题：',
    none: '（没有匹配的资料）',
    page: '第',
    pages: '第',
    user: '用户',
    assistant: '助手',
    conversation: '对话：',
    followUp: '后续问题：',
  },
} as const;

/** Chinese when the question is mostly written in CJK characters (one ≈ a word), else English. */
export function detectLanguage(text: string): AnswerLanguage {
  let cjk = 0;
  let latin = 0;
  for (const ch of text) {
    if (isCjkChar(ch)) cjk++;
    else if (/[A-Za-z]/.test(ch)) latin++;
  }
  return cjk > 0 && cjk * 4 >= latin ? 'zh' : 'en';
}

/** A source as the model sees it: `[n] document, page — heading` on one line, the passage below. */
export interface PromptSource {
  index: number;
  documentName: string;
  title: string;
  pageFrom: number | null;
  pageTo: number | null;
  /** Slides, chapters or a sheet's rows (formats without PDF pages). */
  location?: ChunkLocation | null;
  content: string;
}

/** ", slides 3-4" / " 第 3-4 张幻灯片", ", sheet Budget, rows 2-41" / " 工作表 Budget 第 2-41 行". */
function locationText(location: ChunkLocation, language: AnswerLanguage): string {
  const range = location.to !== location.from ? `${location.from}-${location.to}` : `${location.from}`;
  const plural = location.to !== location.from ? 's' : '';
  if (language === 'zh') {
    if (location.kind === 'slide') return ` 第 ${range} 张幻灯片`;
    if (location.kind === 'chapter') return ` 第 ${range} 章`;
    return `${location.sheet ? ` 工作表 ${location.sheet}` : ''} 第 ${range} 行`;
  }
  if (location.kind === 'slide') return `, slide${plural} ${range}`;
  if (location.kind === 'chapter') return `, chapter${plural} ${range}`;
  return `${location.sheet ? `, sheet ${location.sheet}` : ''}, row${plural} ${range}`;
}

export function formatSource(source: PromptSource, language: AnswerLanguage): string {
  // A blank line inside a passage would end it for simple parsers; keep paragraphs on single line breaks.
  const body = source.content.replace(/\n\s*\n+/g, '\n').trim();
  return `${sourceHeading(source, language)}\n${body}`;
}

/** A source's first line: `[1] R-intro.pdf, page 12 — Output` / `[1] 《笔记》 第 21 页 — 中文排版`. */
export function sourceHeading(source: Omit<PromptSource, 'content'>, language: AnswerLanguage): string {
  const l = LABELS[language];
  let where = '';
  if (source.pageFrom !== null) {
    const range =
      source.pageTo !== null && source.pageTo !== source.pageFrom
        ? `${source.pageFrom}-${source.pageTo}`
        : `${source.pageFrom}`;
    where =
      language === 'zh'
        ? ` ${l.page} ${range} 页`
        : `, ${source.pageTo !== source.pageFrom ? l.pages : l.page} ${range}`;
  } else if (source.location) {
    where = locationText(source.location, language);
  }
  const name = language === 'zh' ? `《${source.documentName}》` : source.documentName;
  const heading = source.title ? ` — ${source.title}` : '';
  return `[${source.index}] ${name}${where}${heading}`;
}

export function sourceTokens(source: PromptSource, language: AnswerLanguage): number {
  return estimateTokens(formatSource(source, language)) + 2;
}

export interface AnswerPromptInput {
  language: AnswerLanguage;
  knowledgeBaseName: string;
  /** The knowledge base's own instructions, if any. */
  customPrompt?: string;
  sources: PromptSource[];
  /** false: the no-hit `model` mode (no sources at all). */
  withSources: boolean;
  history: ChatMessage[];
  question: string;
}

/** System instructions, earlier turns, then one user message with the sources and the question. */
export function buildAnswerMessages(input: AnswerPromptInput): ChatMessage[] {
  const l = LABELS[input.language];
  const sourcesText = input.sources.length
    ? input.sources.map((s) => formatSource(s, input.language)).join('\n\n')
    : l.none;
  const template = input.withSources
    ? input.customPrompt?.trim() || DEFAULT_SYSTEM_PROMPTS[input.language]
    : NO_SOURCES_SYSTEM_PROMPTS[input.language];
  const placesSources = input.withSources && template.includes('{sources}');
  const system = template.replaceAll('{knowledgeBase}', input.knowledgeBaseName).replaceAll('{sources}', sourcesText);
  const question = `${l.question}${input.language === 'en' ? ' ' : ''}${input.question.trim()}`;
  const user = placesSources ? question : `${l.sources}\n\n${sourcesText}\n\n${question}`;
  return [{ role: 'system', content: system }, ...input.history, { role: 'user', content: user }];
}

/** Tokens of everything but the sources and history: instructions, labels and the question. */
export function fixedPromptTokens(input: Omit<AnswerPromptInput, 'sources' | 'history'>): number {
  const messages = buildAnswerMessages({ ...input, sources: [], history: [] });
  return messages.reduce((sum, m) => sum + estimateTokens(m.content) + MESSAGE_OVERHEAD_TOKENS, 0);
}

/** Chat-template tokens around each message (role markers). */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** The request that turns a follow-up into a query that makes sense without the conversation. */
export function buildRewriteMessages(
  history: ChatMessage[],
  question: string,
  language: AnswerLanguage,
): ChatMessage[] {
  const l = LABELS[language];
  const lines = history.map((m) => `${m.role === 'user' ? l.user : l.assistant}: ${shorten(m.content, 400)}`);
  return [
    { role: 'system', content: REWRITE_SYSTEM_PROMPTS[language] },
    {
      role: 'user',
      content: `${l.conversation}\n${lines.join('\n')}\n\n${l.followUp}${language === 'en' ? ' ' : ''}${question.trim()}`,
    },
  ];
}

/** The model's rewrite, cleaned: first line, no quotes or labels; undefined when unusable. */
export function cleanRewrite(text: string, maxChars: number): string | undefined {
  const line = text
    .replace(/<think>[\s\S]*?<\/think>/g, '')
    .split('\n')
    .map((s) => s.trim())
    .find(Boolean);
  if (!line) return undefined;
  const cleaned = line
    .replace(/^(standalone (search )?query|rewritten (question|query)|query|改写后的问题|问题)\s*[:：]\s*/i, '')
    .replace(/^["'“”「」『』]+|["'“”「」『』]+$/g, '')
    .trim();
  return cleaned && cleaned.length <= maxChars ? cleaned : undefined;
}

function shorten(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > maxChars ? flat.slice(0, maxChars) + '…' : flat;
}
