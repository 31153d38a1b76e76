/**
 * The one place that cleans text on its way in: parser output, request bodies, queries and names all
 * pass through here before anything is stored or indexed. PostgreSQL refuses U+0000 in text and jsonb,
 * and the other debris below (left by fonts without character maps, broken encoders and copy-paste)
 * carries no meaning for a reader or a search. Meaningful characters stay: CJK, emoji and their joiners,
 * combining marks, bidirectional marks inside text, private-use glyphs.
 */

/** Line breaks other than LF (CR LF, CR, NEL, LS, PS, VT, FF): one LF each. */
const LINE_BREAKS = /\r\n?|[\u000b\u000c\u0085\u2028\u2029]/g;

/**
 * Debris, removed: C0 controls except TAB and LF, DEL and C1 controls; unpaired surrogate halves (with
 * the u flag a paired surrogate is one code point and never matches); noncharacters (U+FDD0–FDEF and
 * the last two code points of every plane); U+FEFF (a byte-order mark has no business inside text);
 * U+FFFC (an object placeholder without its object) and U+FFFD (what a decoder leaves for bytes it
 * could not read).
 */
const DEBRIS_CLASS =
  '[\\u0000-\\u0008\\u000e-\\u001f\\u007f-\\u0084\\u0086-\\u009f\\ufeff\\ufffc\\ufffd\\p{Cs}\\p{Noncharacter_Code_Point}]';
const DEBRIS = new RegExp(`${DEBRIS_CLASS}+`, 'gu');
/** Debris that stood between two spaces, as a symbol does in "E \u0018 = 3": it goes with one of them. */
const SPACED_DEBRIS = new RegExp(`[ \\t]${DEBRIS_CLASS}+(?=[ \\t])`, 'gu');
const HAS_DEBRIS =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffc\ufffd\p{Cs}\p{Noncharacter_Code_Point}]/u;

/**
 * Compatibility forms that some fonts map ordinary characters to, so that a PDF's text holds "⼭东⼤学"
 * (Kangxi radicals U+2F2D, U+2F24) where the page shows 山东大学, or "ﬁle" (a ligature): Kangxi radicals and
 * CJK radicals, CJK compatibility ideographs and Latin ligatures. Each is read as its Unicode compatibility
 * equivalent (NFKC of that character alone; the few without one stay), so such text is found by what people
 * type. NFKC of the whole text would also change full-width punctuation, superscripts and the like.
 */
const COMPATIBILITY_FORMS = /[\u2e80-\u2fdf\uf900-\ufaff\ufb00-\ufb06]|[\u{2f800}-\u{2fa1f}]/gu;
const HAS_COMPATIBILITY_FORMS = /[\u2e80-\u2fdf\uf900-\ufaff\ufb00-\ufb06]|[\u{2f800}-\u{2fa1f}]/u;

/**
 * Text without debris, with LF line breaks and compatibility forms read as their ordinary characters.
 * Returns the same string when there was nothing to do.
 */
export function cleanText(text: string): string {
  let cleaned = text;
  if (HAS_DEBRIS.test(cleaned)) {
    cleaned = cleaned.replace(LINE_BREAKS, '\n').replace(SPACED_DEBRIS, '').replace(DEBRIS, '');
  }
  if (HAS_COMPATIBILITY_FORMS.test(cleaned)) {
    cleaned = cleaned.replace(COMPATIBILITY_FORMS, (form) => form.normalize('NFKC'));
  }
  return cleaned;
}

/** True when the text holds debris that cleanText removes (secrets are refused rather than changed). */
export function hasDebris(text: string): boolean {
  return HAS_DEBRIS.test(text);
}

/**
 * cleanText applied to every string in a JSON-like value (object keys too), in place for objects and
 * arrays; `keep` names top-level keys whose values are left exactly as they are (secrets).
 */
export function cleanStrings<T>(value: T, keep: ReadonlySet<string> = new Set(), depth = 0): T {
  if (typeof value === 'string') return cleanText(value) as T;
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = cleanStrings(value[i], undefined, depth + 1);
    return value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const cleanKey = cleanText(key);
    const cleaned = keep.has(cleanKey) ? record[key] : cleanStrings(record[key], undefined, depth + 1);
    if (cleanKey !== key) delete record[key];
    record[cleanKey] = cleaned;
  }
  return value;
}

/**
 * Characters that make a name display as something other than what it is: bidirectional embeddings,
 * overrides and isolates (U+202A–202E, U+2066–2069) and marks (U+200E, U+200F, U+061C) turn
 * "invoice\u202Edm.txt" into "invoicetxt.md" on screen; zero-width and invisible characters (U+200B–200D,
 * U+2060–2064, U+FEFF, U+180E, U+00AD, U+034F) make two different names look the same.
 */
const INVISIBLE =
  '[\\u00ad\\u061c\\u180e\\u200b\\u200c\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]|\\u034f|\\u200d';
const INVISIBLE_IN_NAMES = new RegExp(INVISIBLE, 'u');
/** Zero-width joiners that do matter: inside an emoji sequence (👩‍💻), and ZWJ/ZWNJ in scripts that join letters. */
const MEANINGFUL_JOINERS =
  /(?<=\p{Extended_Pictographic}(?:\ufe0f|\p{Emoji_Modifier})?)\u200d(?=\p{Extended_Pictographic})|(?<=[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}]\p{M}*)(?:\u200c|\u200d)/gu;

/**
 * The first invisible or direction-changing character in a name, described for a person (e.g.
 * "U+202E RIGHT-TO-LEFT OVERRIDE"), or undefined when the name shows what it is.
 */
export function invisibleCharacterIn(name: string): string | undefined {
  const found = INVISIBLE_IN_NAMES.exec(name.replace(MEANINGFUL_JOINERS, ''));
  if (!found) return undefined;
  const codePoint = found[0].codePointAt(0)!;
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')} ${CHARACTER_NAMES[codePoint] ?? 'INVISIBLE CHARACTER'}`;
}

const UNSHOWABLE = new RegExp(
  `[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\ufffc\\ufffd\\p{Cs}\\p{Noncharacter_Code_Point}]|${INVISIBLE}`,
  'gu',
);

/** The text with controls and invisible characters written as \uXXXX, to quote a refused name safely in a message. */
export function escapeInvisible(text: string): string {
  return text.replace(UNSHOWABLE, (c) => `\\u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
}

const CHARACTER_NAMES: Record<number, string> = {
  0x00ad: 'SOFT HYPHEN',
  0x034f: 'COMBINING GRAPHEME JOINER',
  0x061c: 'ARABIC LETTER MARK',
  0x180e: 'MONGOLIAN VOWEL SEPARATOR',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2060: 'WORD JOINER',
  0x2061: 'FUNCTION APPLICATION',
  0x2062: 'INVISIBLE TIMES',
  0x2063: 'INVISIBLE SEPARATOR',
  0x2064: 'INVISIBLE PLUS',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
};
