/**
 * Minimal types for code that runs inside the page (page.evaluate / waitForFunction callbacks): the
 * project's tsconfig has no DOM lib, on purpose. Callbacks start with
 *   const { document } = globalThis as unknown as PageGlobals;
 * (a type-only cast: nothing is imported into the page).
 */
export interface PageElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
  outerHTML: string;
}

export interface PageGlobals {
  document: {
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): ArrayLike<PageElement>;
    documentElement: { lang: string; scrollWidth: number };
    activeElement: unknown;
    body: unknown;
  };
  window: { innerWidth: number };
  localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
  /** Scratch space the tests leave on the page. */
  __zk?: { progress: number[] };
}
