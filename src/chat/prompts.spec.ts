import { buildAnswerMessages, cleanRewrite, detectLanguage, formatSource } from './prompts';

describe('prompts', () => {
  it('answers in the language of the question', () => {
    expect(detectLanguage('怎样排版中文文档？')).toBe('zh');
    expect(detectLanguage('如何用 sink() 保存输出')).toBe('zh');
    expect(detectLanguage('How do I divert output?')).toBe('en');
    expect(detectLanguage('What does 知识库 mean in this long English sentence?')).toBe('en');
  });

  it('numbers sources with document, pages and heading, one passage each', () => {
    const source = {
      index: 2,
      documentName: 'R-intro.pdf',
      title: 'Output',
      pageFrom: 12,
      pageTo: 13,
      content: 'a\n\n\nb',
    };
    expect(formatSource(source, 'en')).toBe('[2] R-intro.pdf, pages 12-13 — Output\na\nb');
    expect(formatSource({ ...source, pageTo: 12, title: '' }, 'zh')).toBe('[2] 《R-intro.pdf》 第 12 页\na\nb');
  });

  it('puts the sources where a custom prompt asks for them', () => {
    const messages = buildAnswerMessages({
      language: 'en',
      knowledgeBaseName: 'Manuals',
      customPrompt: 'Answer like a librarian for {knowledgeBase}.\n{sources}',
      sources: [{ index: 1, documentName: 'a.pdf', title: '', pageFrom: null, pageTo: null, content: 'text' }],
      withSources: true,
      history: [],
      question: 'Why?',
    });
    expect(messages).toEqual([
      { role: 'system', content: 'Answer like a librarian for Manuals.\n[1] a.pdf\ntext' },
      { role: 'user', content: 'Question: Why?' },
    ]);
  });

  it('cleans a rewritten query and rejects an unusable one', () => {
    expect(cleanRewrite('  "How do I restore output to the console?"\nextra', 500)).toBe(
      'How do I restore output to the console?',
    );
    expect(cleanRewrite('Standalone query: sink() restore', 500)).toBe('sink() restore');
    expect(cleanRewrite('<think>hmm</think>\n「如何恢复输出？」', 500)).toBe('如何恢复输出？');
    expect(cleanRewrite('   ', 500)).toBeUndefined();
    expect(cleanRewrite('x'.repeat(600), 500)).toBeUndefined();
  });
});
