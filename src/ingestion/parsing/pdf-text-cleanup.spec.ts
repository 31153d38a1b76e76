import { cleanPdfPages, unspaceJustifiedCjk } from './pdf-text-cleanup';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india'];
const body = (n: number): string =>
  [
    `This is the body text about ${WORDS[n % WORDS.length]}, which runs across the whole width of the page and wraps onto`,
    `the next line like any paragraph in a book does, until the ${WORDS[(n + 3) % WORDS.length]} sentence comes to its end.`,
    `A short ${WORDS[(n + 5) % WORDS.length]} line.`,
  ].join('\n');

describe('cleanPdfPages', () => {
  it('removes running headers with page numbers and bare page numbers', () => {
    const pages = [5, 6, 7, 8].map((num) => ({
      num,
      text: `Chapter 2: Simple manipulations ${num - 4}\n${body(num)}\n${num - 4}`,
    }));
    const text = cleanPdfPages(pages)
      .map((b) => b.text)
      .join('\n');
    expect(text).not.toContain('Chapter 2: Simple manipulations');
    expect(text).not.toMatch(/^\d+$/m);
    expect(text).toContain('This is the body text about foxtrot');
  });

  it('removes running headers numbered in Roman numerals (front matter)', () => {
    // As latex-notes-zh-cn.pdf has them: the number first on even pages, last on odd ones.
    const roman = ['vi', 'vii', 'viii', 'ix'];
    const pages = roman.map((numeral, i) => ({
      num: 6 + i,
      text: `${i % 2 ? `目 录 ${numeral}` : `${numeral} 目 录`}\n${body(7 + i)}`,
    }));
    const text = cleanPdfPages(pages)
      .map((b) => b.text)
      .join('\n');
    expect(text).not.toContain('目 录');
    expect(text).toContain('This is the body text about hotel');
  });

  it('keeps a line that repeats at the top of only two pages', () => {
    const pages = [1, 2, 3, 4, 5, 6].map((num) => ({ num, text: `${num < 3 ? 'Usage' : 'Details'}\n${body(num)}` }));
    const text = cleanPdfPages(pages)
      .map((b) => b.text)
      .join('\n');
    expect(text).toContain('Usage');
  });

  it('joins wrapped lines, undoes hyphenation and keeps paragraphs apart', () => {
    const blocks = cleanPdfPages([
      {
        num: 1,
        text: [
          'It is recommended that you should use separate working directories for analyses con-',
          'ducted with R. It is quite common for objects with names x and y to be created during an',
          'analysis session.',
          'When R is started at later time from the same directory it reloads the workspace from',
          'this file.',
        ].join('\n'),
      },
    ]);
    const paragraphs = blocks.filter((b) => b.kind === 'paragraph').map((b) => b.text);
    expect(paragraphs[0]).toContain('analyses conducted with R.');
    expect(paragraphs[0]).toContain('created during an analysis session.');
    expect(paragraphs[1]).toBe(
      'When R is started at later time from the same directory it reloads the workspace from this file.',
    );
  });

  it('joins Chinese lines without inserting a space', () => {
    const blocks = cleanPdfPages([
      {
        num: 1,
        text: [
          'PS 输出时需要一个解释器（Raster Image Processor，RIP）来把它转',
          '换为点阵图形。RIP 可以是软件，也可以是固件或硬件。',
        ].join('\n'),
      },
    ]);
    expect(blocks[0].text).toBe(
      'PS 输出时需要一个解释器（Raster Image Processor，RIP）来把它转换为点阵图形。RIP 可以是软件，也可以是固件或硬件。',
    );
  });

  it('marks numbered section lines as headings with their level', () => {
    const blocks = cleanPdfPages([{ num: 3, text: `2.1 Vectors and assignment\n${body(3)}\n第四章 插图\n中文正文。` }]);
    expect(blocks[0]).toEqual({ kind: 'heading', text: '2.1 Vectors and assignment', level: 2, page: 3 });
    expect(blocks.find((b) => b.text === '第四章 插图')).toMatchObject({ kind: 'heading', level: 1 });
  });
});

describe('cleanPdfPages on what real documents do', () => {
  const textOf = (pages: Array<{ num: number; text: string }>): string =>
    cleanPdfPages(pages)
      .map((b) => (b.kind === 'heading' ? `# ${b.text}` : b.text))
      .join('\n');

  it('drops running headers made of the current section and chapter headings (thuthesis)', () => {
    const text = textOf([
      { num: 4, text: `3 安装\n1 模板介绍\n${body(1)}\n3 安装\n${body(2)}\n3.2 生成模板\n${body(3)}` },
      { num: 5, text: `3.2 生成模板 3 安装\n${body(4)}` },
      { num: 6, text: `3.2 生成模板 3 安装\n${body(5)}\n3.3 编译论文\n${body(6)}` },
    ]);
    expect(text).not.toContain('3.2 生成模板 3 安装');
    expect(text.match(/^# 3 安装$/gm)).toHaveLength(1); // the real one, mid-page
    expect(text.match(/^# 3\.2 生成模板$/gm)).toHaveLength(1);
  });

  it('keeps a real heading that happens to open a page', () => {
    const text = textOf([
      { num: 1, text: body(1) },
      { num: 2, text: `2.1 Vectors and assignment\n${body(2)}` },
    ]);
    expect(text).toContain('# 2.1 Vectors and assignment');
  });

  it('drops a sidebar block repeated on every page, wherever it stands (elsdoc)', () => {
    const sidebar = 'Version: 3.3\nContact: elsarticle@stmdocs.in\nQUICK LINKS\nI Introduction I Usage';
    const text = textOf([1, 2, 3, 4].map((num) => ({ num, text: `${sidebar}\n${body(num)}` })));
    expect(text).not.toMatch(/QUICK LINKS|Contact: elsarticle/);
    expect(text).toContain('This is the body text about echo');
  });

  it('keeps single lines that repeat on many pages: they are part of the text', () => {
    const text = textOf([1, 2, 3, 4].map((num) => ({ num, text: `${body(num)}\nArguments\n${body(num + 1)}` })));
    expect(text.match(/Arguments/g)).toHaveLength(4);
  });

  it('keeps the hyphen of an option or identifier cut at a line end, and joins cut URLs without a space', () => {
    const text = textOf([
      {
        num: 1,
        text: [
          '如果设置了 include-spine 选项，则需要在文件名前加上 -shell-',
          'escape 的命令行选项。The development version is at https://github.com/',
          'borisveytsman/acmart and the files of pdf.tex-',
          'engine stay; usual hyphen-',
          'ation is undone.',
        ].join('\n'),
      },
    ]);
    expect(text).toContain('-shell-escape');
    expect(text).toContain('https://github.com/borisveytsman/acmart');
    expect(text).toContain('pdf.tex-engine');
    expect(text).toContain('hyphenation is undone');
  });

  it('reads letter-spaced capitals and the XeLaTeX logo as words', () => {
    const text = textOf([{ num: 1, text: 'A B S T R A C T\nCompile with XƎLATEX or XƎTEX, not with I A or B.' }]);
    expect(text).toContain('ABSTRACT');
    expect(text).toContain('XeLATEX or XeTEX');
    expect(text).toContain('I A or B');
  });
});

describe('unspaceJustifiedCjk', () => {
  it('removes the spaces a justified Chinese line puts between every character', () => {
    expect(unspaceJustifiedCjk('最 早 的 driver 是 dvips， 它 把 DVI 转 换 为 PS。')).toBe(
      '最早的 driver 是 dvips，它把 DVI 转换为 PS。',
    );
  });

  it('keeps a single space the text really has', () => {
    expect(unspaceJustifiedCjk('第四章 插图')).toBe('第四章 插图');
  });
});
