import { DocumentModels, holdsLatinLettersOnly, recognitionModels } from './recognition-models';

const INSTALLED = ['HanS', 'HanT', 'chi_sim', 'chi_tra', 'eng', 'jpn'];
const english = 'The quick brown fox jumps over the lazy dog; R commands, case sensitivity, etc. '.repeat(3);
const chinese = 'Overleaf 是全球范围内首屈一指的在线 LaTeX 编辑平台，用户无需安装任何软件即可使用。'.repeat(3);

describe('recognition models', () => {
  it('reads Chinese with the Han script models, which read the Latin text too, and keeps eng for Latin-only pages', () => {
    expect(recognitionModels(['chi_sim', 'eng'], INSTALLED)).toEqual({ all: ['HanS'], latin: ['eng'] });
    expect(recognitionModels(['chi_tra', 'eng'], INSTALLED)).toEqual({ all: ['HanT'], latin: ['eng'] });
    expect(recognitionModels(['eng', 'chi_sim', 'chi_tra'], INSTALLED)).toEqual({
      all: ['HanS', 'HanT'],
      latin: ['eng'],
    });
    expect(recognitionModels(['chi_sim', 'jpn', 'eng'], INSTALLED)).toEqual({
      all: ['HanS', 'jpn'],
      latin: ['jpn', 'eng'],
    });
  });

  it('keeps the languages as asked when no Chinese is asked, eng is not, or the script model is not installed', () => {
    expect(recognitionModels(['eng'], INSTALLED)).toEqual({ all: ['eng'] });
    expect(recognitionModels(['chi_sim'], INSTALLED)).toEqual({ all: ['HanS'] });
    expect(recognitionModels(['chi_sim', 'eng'], ['chi_sim', 'eng'])).toEqual({ all: ['chi_sim', 'eng'] });
  });

  it('judges a page Latin-only by its letters: punctuation and digits belong to no script, a few letters say nothing', () => {
    expect(holdsLatinLettersOnly(english)).toBe(true);
    expect(holdsLatinLettersOnly(`${english}，，“”（1990）`)).toBe(true);
    expect(holdsLatinLettersOnly(`${english} 中`)).toBe(false);
    expect(holdsLatinLettersOnly(`${english} カナ`)).toBe(false);
    expect(holdsLatinLettersOnly('Figure 3')).toBe(false);
  });

  it("follows the document's pages: all models until a page holds Latin letters only, back to all on another script", () => {
    const pages = new DocumentModels(recognitionModels(['chi_sim', 'eng'], INSTALLED));
    expect(pages.next()).toEqual({ models: ['HanS'], latinOnly: false });
    pages.read(english);
    expect(pages.next()).toEqual({ models: ['eng'], latinOnly: true });
    pages.read('Figure 3');
    expect(pages.next()).toEqual({ models: ['eng'], latinOnly: true });
    pages.read(chinese);
    expect(pages.next()).toEqual({ models: ['HanS'], latinOnly: false });
    expect(pages.all).toEqual(['HanS']);

    // A mixed PDF: its own English text on the other pages starts the scanned ones with eng.
    expect(new DocumentModels(recognitionModels(['chi_sim', 'eng'], INSTALLED), english).next().models).toEqual([
      'eng',
    ]);
    expect(new DocumentModels(recognitionModels(['chi_sim', 'eng'], INSTALLED), chinese).next().models).toEqual([
      'HanS',
    ]);

    const englishOnly = new DocumentModels(recognitionModels(['eng'], INSTALLED));
    englishOnly.read(english);
    expect(englishOnly.next()).toEqual({ models: ['eng'], latinOnly: false });
  });
});
