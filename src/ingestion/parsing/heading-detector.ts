const NUMBERED_HEADING = /^(\d{1,2}(?:\.\d{1,3}){0,4})\.?\s+(\S.*)$/u;
const APPENDIX_HEADING = /^(?:Chapter|Appendix|Part)\s+([0-9]{1,2}|[A-Z])\b[:.]?\s*(.*)$/u;
const CHINESE_CHAPTER = /^第\s*[0-9一二三四五六七八九十百零〇两]+\s*[章部篇]\s*(.*)$/u;
const CHINESE_SECTION = /^第\s*[0-9一二三四五六七八九十百零〇两]+\s*节\s*(.*)$/u;
const ENDS_LIKE_SENTENCE = /[.,;:!?，。；：！？、)）．｡]$/u;
/** After a number, a unit or a date part: "10 月頃", "3 个", "2 页" are quantities, not headings. */
const QUANTITY_AFTER_NUMBER = /^[年月日号時时分秒个個项項页頁次章节節条條%％]/u;
/** A chapter line that goes on as a sentence: "第一章为绪论", "第二章是…". */
const SENTENCE_AFTER_CHAPTER = /^[为是的对將将在共和与及介主]/u;
/** Headings in Chinese are short; a numbered line longer than this is a list item or prose. */
const MAX_HAN_HEADING = 28;
const CODE_LIKE = /[\\/:=<>{}$%~_@#|*]|--/;
const INNER_SENTENCE_BREAK = /[.!?]\s|[。！？，]/u;
const DOT_LEADER = /(?:\.\s?){3,}|(?:\.\s?){2,}\d+$|…\s*\d+$/u;

/**
 * Recognises a section heading in text that lost its formatting (a PDF line): numbered sections
 * ("2.1 Vectors and assignment"), "Chapter 3 …"/"Appendix A …", and Chinese "第二章 …"/"第 6 节 …".
 * Returns its level (1 = chapter) or 0. Deliberately strict: a missed heading only costs a title,
 * a false one splits a paragraph.
 */
export function headingLevel(line: string): number {
  const text = line.trim();
  if (text.length < 2 || text.length > 90 || DOT_LEADER.test(text)) return 0;
  let match = CHINESE_CHAPTER.exec(text) ?? CHINESE_SECTION.exec(text);
  if (match) {
    const rest = match[1];
    if (SENTENCE_AFTER_CHAPTER.test(rest) || INNER_SENTENCE_BREAK.test(rest) || ENDS_LIKE_SENTENCE.test(rest)) return 0;
    if ((rest.match(/\p{Script=Han}/gu)?.length ?? 0) > MAX_HAN_HEADING) return 0;
    return CHINESE_CHAPTER.test(text) ? 1 : 2;
  }
  match = APPENDIX_HEADING.exec(text);
  if (match) return match[2] && ENDS_LIKE_SENTENCE.test(text) ? 0 : 1;
  match = NUMBERED_HEADING.exec(text);
  if (!match) return 0;
  const [, numbering, rest] = match;
  // A heading's words start with a capital or a Chinese character; footnotes and code lines do not.
  // Chinese headings may start with a lower-case command name ("1.4.1 tlmgr 本身无法成功升级").
  const startsLikeHeading =
    /^[\p{Lu}\p{Script=Han}]/u.test(rest) || (/\p{Script=Han}/u.test(rest) && rest.length <= 40);
  if (!startsLikeHeading || ENDS_LIKE_SENTENCE.test(rest) || QUANTITY_AFTER_NUMBER.test(rest)) return 0;
  if ((rest.match(/\p{Script=Han}/gu)?.length ?? 0) > MAX_HAN_HEADING) return 0;
  // Numbered code and listings ("18 C:/texlive/2022", "7 Detected platform: Windows"), prose
  // ("4 There is NO warranty. Redistribution…") and table-of-contents lines ("2 Ubuntu 20.04 系统 14").
  if (CODE_LIKE.test(rest) || INNER_SENTENCE_BREAK.test(rest) || /\s\d+$/.test(rest)) return 0;
  if (Number(numbering.split('.')[0]) > 40) return 0;
  // Prose that happens to start with a number is long and has many lower-case words.
  const words = rest.split(/\s+/);
  if (words.length > 12) return 0;
  return numbering.split('.').length;
}
