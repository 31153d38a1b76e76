/**
 * Which Tesseract models read a document's pages, given the languages a knowledge base asks for.
 *
 * Chinese is read by Tesseract's Han script models (HanS, HanT) rather than the language models chi_sim and
 * chi_tra joined with eng. A script model is trained on all text in its script, the Latin words and code
 * among it included, so it reads a Chinese page with its English in one pass, where chi_sim+eng reads each
 * line with chi_sim and reads again with eng what chi_sim was unsure of. Measured on 300-dpi scans of 17
 * held-out Chinese pages (README, "Chinese by the Han script models"): HanS took 2.57 CPU-s a page against
 * 3.81 for chi_sim+eng, and read 0.902 of the characters right against 0.881; on Traditional Chinese HanT
 * took 2.03 against 2.81 s, 0.987 against 0.977. On English pages a script model reads as well as eng
 * (0.992) but slower (2.78 against 1.56 s), so a document whose pages turn out to hold no Chinese goes on
 * with the other languages' models (see DocumentModels).
 */

/** The script model that reads each Chinese language code and the Latin text set among it. */
export const HAN_SCRIPT_MODELS: Readonly<Record<string, string>> = { chi_sim: 'HanS', chi_tra: 'HanT' };

/** Letters on a page below which it says little of the document's language (a caption, a page number). */
export const MIN_LETTERS_TO_JUDGE = 100;

export interface RecognitionModels {
  /** Models for any page: every requested language read. */
  all: string[];
  /**
   * Models for a page without Chinese, when they differ from `all` (a Han script model stood in for eng):
   * the requested languages but the Chinese ones.
   */
  withoutChinese?: string[];
}

/**
 * The models for `languages`: each Chinese language read by its script model when that is installed, and
 * eng then left out of `all`, the script model reading the Latin text itself. Languages are otherwise kept
 * as asked, in their order.
 */
export function recognitionModels(languages: string[], installed: string[]): RecognitionModels {
  const all: string[] = [];
  let scriptModelUsed = false;
  for (const language of languages) {
    const script = HAN_SCRIPT_MODELS[language];
    const model = script && installed.includes(script) ? script : language;
    scriptModelUsed ||= model !== language;
    if (!all.includes(model)) all.push(model);
  }
  if (!scriptModelUsed || !languages.includes('eng')) return { all };
  const withoutChinese = languages.filter((l) => !(l in HAN_SCRIPT_MODELS));
  return { all: all.filter((m) => m !== 'eng'), withoutChinese };
}

/**
 * Whether a recognized page holds no Chinese character: undefined when it holds too few letters to judge
 * by. Other scripts do not count (Greek letters in an English formula, kana read by jpn); punctuation
 * belongs to no script (a full-width comma is not Chinese).
 */
function chineseFree(text: string): boolean | undefined {
  if ((text.match(/\p{L}/gu)?.length ?? 0) < MIN_LETTERS_TO_JUDGE) return undefined;
  return !/\p{Script=Han}/u.test(text);
}

/** Whether a recognized page holds enough letters to judge by and no Chinese character among them. */
export function holdsNoChinese(text: string): boolean {
  return chineseFree(text) === true;
}

/**
 * The models of one document's pages, learned as its pages are read: pages are read with all models until
 * a page (or the document's own text on the pages that need no OCR) turns out to hold no Chinese; from then
 * on the next pages are read without the Chinese models (a page that reads poorly so is read again with
 * all, see PageRecognizer), until a page holds Chinese again. Documents keep to one language far more often
 * than not.
 */
export class DocumentModels {
  /** The last page with enough letters to judge by held no Chinese. */
  private lastPageChineseFree = false;

  /** `textBeside`: the document's own text on pages that are not recognized, read as a first page. */
  constructor(
    private readonly models: RecognitionModels,
    textBeside = '',
  ) {
    this.read(textBeside);
  }

  /** Models to read the next page with, and whether the Chinese ones are left out (then a poor reading is read again with all). */
  next(): { models: string[]; withoutChinese: boolean } {
    const withoutChinese = this.lastPageChineseFree && !!this.models.withoutChinese;
    return { models: withoutChinese ? this.models.withoutChinese! : this.models.all, withoutChinese };
  }

  /** The models of every language, for a page the others read poorly. */
  get all(): string[] {
    return this.models.all;
  }

  /** Learns from a page's text; pages with too few letters to judge by change nothing. */
  read(text: string): void {
    this.lastPageChineseFree = chineseFree(text) ?? this.lastPageChineseFree;
  }
}
