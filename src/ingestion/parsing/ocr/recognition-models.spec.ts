import { DocumentModels, holdsNoChinese, recognitionModels } from './recognition-models';

const INSTALLED = ['HanS', 'HanT', 'chi_sim', 'chi_tra', 'eng', 'jpn'];
const english = 'The quick brown fox jumps over the lazy dog; R commands, case sensitivity, etc. '.repeat(3);
const chinese = 'Overleaf 是全球范围内首屈一指的在线 LaTeX 编辑平台，用户无需安装任何软件即可使用。'.repeat(3);

describe('recognition models', () => {
  it('reads Chinese with the Han script models, which read the Latin text too, and keeps eng for pages without Chinese', () => {
    expect(recognitionModels(['chi_sim', 'eng'], INSTALLED)).toEqual({ all: ['HanS'], withoutChinese: ['eng'] });
    expect(recognitionModels(['chi_tra', 'eng'], INSTALLED)).toEqual({ all: ['HanT'], withoutChinese: ['eng'] });
    expect(recognitionModels(['eng', 'chi_sim', 'chi_tra'], INSTALLED)).toEqual({
      all: ['HanS', 'HanT'],
      withoutChinese: ['eng'],
    });
    expect(recognitionModels(['chi_sim', 'jpn', 'eng'], INSTALLED)).toEqual({
      all: ['HanS', 'jpn'],
      withoutChinese: ['jpn', 'eng'],
    });
  });

  it('keeps the languages as asked when no Chinese is asked, eng is not, or the script model is not installed', () => {
    expect(recognitionModels(['eng'], INSTALLED)).toEqual({ all: ['eng'] });
    expect(recognitionModels(['chi_sim'], INSTALLED)).toEqual({ all: ['HanS'] });
    expect(recognitionModels(['chi_sim', 'eng'], ['chi_sim', 'eng'])).toEqual({ all: ['chi_sim', 'eng'] });
  });

  it('judges a page by its letters: one Chinese character counts, other scripts and punctuation do not, a few letters say nothing', () => {
    expect(holdsNoChinese(english)).toBe(true);
    expect(holdsNoChinese(`${english}，，“”（1990）`)).toBe(true);
    expect(holdsNoChinese(`${english} α + β = γ, Σ`)).toBe(true);
    expect(holdsNoChinese(`${english} 中`)).toBe(false);
    expect(holdsNoChinese('Figure 3')).toBe(false);
  });

  it("follows the document's pages: all models until a page holds no Chinese, back to all when one does", () => {
    const pages = new DocumentModels(recognitionModels(['chi_sim', 'eng'], INSTALLED));
    expect(pages.next()).toEqual({ models: ['HanS'], withoutChinese: false });
    pages.read(english);
    expect(pages.next()).toEqual({ models: ['eng'], withoutChinese: true });
    pages.read('Figure 3');
    expect(pages.next()).toEqual({ models: ['eng'], withoutChinese: true });
    pages.read(chinese);
    expect(pages.next()).toEqual({ models: ['HanS'], withoutChinese: false });
    expect(pages.all).toEqual(['HanS']);

    // A mixed PDF: its own English text on the other pages starts the scanned ones with eng.
    const beside = (text: string): string[] =>
      new DocumentModels(recognitionModels(['chi_sim', 'eng'], INSTALLED), text).next().models;
    expect(beside(english)).toEqual(['eng']);
    expect(beside(chinese)).toEqual(['HanS']);

    const englishOnly = new DocumentModels(recognitionModels(['eng'], INSTALLED));
    englishOnly.read(english);
    expect(englishOnly.next()).toEqual({ models: ['eng'], withoutChinese: false });
  });
});
