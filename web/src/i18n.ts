import { createI18n } from 'vue-i18n';
import { ref } from 'vue';
import en from './locales/en';
import zhCN from './locales/zh-CN';

export type Lang = 'zh-CN' | 'en';
export const LANGS: Lang[] = ['zh-CN', 'en'];
const STORAGE_KEY = 'zhiku.lang';

/** Remembered choice first, then the browser's language (any zh-* → 简体中文), else English. */
export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && (LANGS as string[]).includes(saved)) return saved as Lang;
  } catch {
    /* storage blocked: fall through */
  }
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const l of langs) {
    if (/^zh\b/i.test(l)) return 'zh-CN';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'en';
}

const start = initialLang();

export const i18n = createI18n({
  legacy: false,
  locale: start,
  fallbackLocale: 'en',
  messages: { 'zh-CN': zhCN, en },
  missingWarn: false,
  fallbackWarn: false,
});

/** Reactive current language (for Element Plus' own texts and <html lang>). */
export const currentLang = ref<Lang>(start);
document.documentElement.lang = start;

export function setLang(lang: Lang): void {
  i18n.global.locale.value = lang;
  currentLang.value = lang;
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* ignore */
  }
}
