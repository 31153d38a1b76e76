import { headingLevel } from './heading-detector';

describe('headingLevel', () => {
  it('recognises numbered, appendix and Chinese chapter headings', () => {
    expect(headingLevel('2.1 Vectors and assignment')).toBe(2);
    expect(headingLevel('1. Introduction')).toBe(1);
    expect(headingLevel('Appendix A Sample session')).toBe(1);
    expect(headingLevel('第四章 插图')).toBe(1);
    expect(headingLevel('第 6 节 表格')).toBe(2);
    expect(headingLevel('3.3.3 XeLATEX')).toBe(3);
    expect(headingLevel('1.4.1 tlmgr 本身无法成功升级')).toBe(3);
  });

  it('does not take list items, dates and sentences for headings', () => {
    // A long Chinese numbered line is a list item (thuthesis), "10 月頃" a date (ptex-manual),
    // "第一章为绪论" a sentence about the chapter (bjfuthesis).
    expect(headingLevel('2. 本模板为作者根据清华大学研究生院颁发的《研究生学位论文写作指南》（更新到 2022 年')).toBe(0);
    expect(headingLevel('10 月頃）である．')).toBe(0);
    expect(headingLevel('3 个选项')).toBe(0);
    expect(headingLevel('第一章为绪论，主要介绍研究背景')).toBe(0);
    expect(headingLevel('第二章是相关工作')).toBe(0);
    expect(headingLevel('4 There is NO warranty. Redistribution is allowed.')).toBe(0);
  });
});
