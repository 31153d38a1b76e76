const NUMBERED_HEADING = /^(\d{1,2}(?:\.\d{1,3}){0,4})\.?\s+(\S.*)$/u;
const APPENDIX_HEADING = /^(?:Chapter|Appendix|Part)\s+([0-9]{1,2}|[A-Z])\b[:.]?\s*(.*)$/u;
const CHINESE_CHAPTER = /^第\s*[0-9一二三四五六七八九十百零〇两]+\s*[章部篇]\s*(.*)$/u;
const CHINESE_SECTION = /^第\s*[0-9一二三四五六七八九十百零〇两]+\s*节\s*(.*)$/u;
const ENDS_LIKE_SENTENCE = /[.,;:!?，。；：！？、)）]$/u;
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
  let match = CHINESE_CHAPTER.exec(text);
  if (match) return 1;
  match = CHINESE_SECTION.exec(text);
  if (match) return 2;
  match = APPENDIX_HEADING.exec(text);
  if (match) return match[2] && ENDS_LIKE_SENTENCE.test(text) ? 0 : 1;
  match = NUMBERED_HEADING.exec(text);
  if (!match) return 0;
  const [, numbering, rest] = match;
  // A heading's words start with a capital or a Chinese character; footnotes and code lines do not.
  // Chinese headings may start with a lower-case command name ("1.4.1 tlmgr 本身无法成功升级").
  const startsLikeHeading =
    /^[\p{Lu}\p{Script=Han}]/u.test(rest) || (/\p{Script=Han}/u.test(rest) && rest.length <= 40);
  if (!startsLikeHeading || ENDS_LIKE_SENTENCE.test(rest)) return 0;
  // Numbered code and listings ("18 C:/texlive/2022", "7 Detected platform: Windows"), prose
  // ("4 There is NO warranty. Redistribution…") and table-of-contents lines ("2 Ubuntu 20.04 系统 14").
  if (CODE_LIKE.test(rest) || INNER_SENTENCE_BREAK.test(rest) || /\s\d+$/.test(rest)) return 0;
  if (Number(numbering.split('.')[0]) > 40) return 0;
  // Prose that happens to start with a number is long and has many lower-case words.
  const words = rest.split(/\s+/);
  if (words.length > 12) return 0;
  return numbering.split('.').length;
}
