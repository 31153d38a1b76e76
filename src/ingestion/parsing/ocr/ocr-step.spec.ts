import { pageRanges } from './page-recognizer.service';
import { pagesWithoutText, withoutSpacesBetweenHanzi } from './ocr-step';

describe('OCR helpers', () => {
  it('removes the spaces Tesseract puts between Chinese characters, and only those', () => {
    expect(withoutSpacesBetweenHanzi('6 在 线 的 LaTeX 平 台 ， 它 为 每 位 用户\nOverleaf 是 全球')).toBe(
      '6 在线的 LaTeX 平台，它为每位用户\nOverleaf 是全球',
    );
  });

  it('finds the pages with fewer than 10 letters or digits', () => {
    const pages = [
      { num: 1, text: 'A page with plenty of words on it.' },
      { num: 2, text: '  12  ' },
      { num: 3, text: '' },
      { num: 4, text: '这一页有足够的中文文字内容了' },
    ];
    expect(pagesWithoutText(pages)).toEqual([2, 3]);
  });

  it('writes page lists as ocrmypdf --pages ranges', () => {
    expect(pageRanges([8, 1, 2, 3, 5, 7, 3])).toBe('1-3,5,7-8');
  });
});
