/**
 * The admin-UI walk as reusable steps (admin-ui.e2e-spec.ts). Every step waits on what a user would see,
 * never on timers.
 */
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { CORPUS_DIR } from '../../support/corpus-dir';
import type { PageGlobals } from './page-globals';

const tid = (id: string) => `[data-testid="${id}"]`;
/** Element Plus puts a component's attributes on its native <input>/<textarea>, not on the wrapper. */
export const field = (id: string) =>
  `input[data-testid="${id}"], textarea[data-testid="${id}"], [data-testid="${id}"] input, [data-testid="${id}"] textarea`;

export async function login(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.locator(field('login-email')).fill(email);
  await page.locator(field('login-password')).fill(password);
  await page.locator(tid('login-submit')).click();
  await page.waitForURL(/\/knowledge-bases/);
  await page.locator(tid('kb-list')).waitFor();
}

/** Creates a knowledge base through the dialog; returns its id (from the URL it lands on). */
export async function createKnowledgeBase(page: Page, name: string, description = ''): Promise<string> {
  await page.locator(tid('kb-create')).click();
  const dialog = page.locator('.el-dialog').filter({ has: page.locator(tid('kb-name')) });
  await dialog.waitFor();
  await dialog.locator(field('kb-name')).fill(name);
  if (description) await dialog.locator(field('kb-description')).fill(description);
  await dialog.locator(tid('kb-save')).click();
  await page.waitForURL(/\/knowledge-bases\/[^/]+\/documents/);
  await page.locator(tid('kb-title')).filter({ hasText: name }).waitFor();
  return /knowledge-bases\/([^/]+)\/documents/.exec(page.url())![1];
}

export type UploadVerdict = 'accepted' | 'duplicate' | 'rejected';

/**
 * Opens the upload dialog, adds the files (the same path as a drop: the dialog's file input), starts the
 * upload and waits until every file has its verdict. Returns the verdict and reason text per file name.
 */
export async function uploadThroughDialog(
  page: Page,
  files: string[],
): Promise<Record<string, { verdict: UploadVerdict | 'waiting' | 'uploading'; reason: string }>> {
  await page.locator(tid('upload-open')).click();
  const dialog = page.locator('.el-dialog').filter({ has: page.locator(tid('upload-drop')) });
  await dialog.waitFor();
  await dialog.locator(tid('upload-input')).setInputFiles(files);
  const items = dialog.locator(tid('upload-item'));
  await items.nth(files.length - 1).waitFor();
  const start = dialog.locator(tid('upload-start'));
  if (await start.isEnabled()) await start.click();
  await page.waitForFunction(
    (n) => {
      const { document } = globalThis as unknown as PageGlobals;
      const all = Array.from(document.querySelectorAll('[data-testid="upload-item"]'));
      return (
        all.length >= n && all.every((el) => !['waiting', 'uploading'].includes(el.getAttribute('data-state') ?? ''))
      );
    },
    files.length,
    { timeout: 120_000 },
  );
  const result: Record<string, { verdict: UploadVerdict; reason: string }> = {};
  for (let i = 0; i < (await items.count()); i++) {
    const item = items.nth(i);
    const name = (await item.locator('.name').innerText()).trim();
    const verdict = (await item.getAttribute('data-state')) as UploadVerdict;
    const reason = (
      await item
        .locator(tid('upload-reason'))
        .innerText()
        .catch(() => '')
    ).trim();
    result[name] = { verdict, reason };
  }
  return result;
}

/** Presses Tab until `selector` has the keyboard focus; false if it never gets it within `maxTabs` presses. */
export async function tabUntilFocused(page: Page, selector: string, maxTabs = 40): Promise<boolean> {
  const target = page.locator(selector).first();
  const focused = () => target.evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement);
  for (let i = 0; i < maxTabs; i++) {
    if (await focused()) return true;
    await page.keyboard.press('Tab');
  }
  return focused();
}

/** Waits until no Vue enter/leave transition runs (Element Plus moves focus when a dialog has opened). */
export async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return !document.querySelector('[class*="-enter-active"], [class*="-leave-active"]');
  });
}

export async function closeDialog(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await page
    .locator('.el-overlay-dialog')
    .first()
    .waitFor({ state: 'hidden' })
    .catch(() => undefined);
}

/** Waits until every named document's row shows the `ready` status (fed by the events stream). */
export async function waitForReady(page: Page, names: string[], timeoutMs = 180_000): Promise<void> {
  try {
    await page.waitForFunction(
      (wanted) => {
        const { document } = globalThis as unknown as PageGlobals;
        const rows = Array.from(document.querySelectorAll('[data-doc-name]'));
        const failed = rows.find(
          (r) => r.getAttribute('data-status') === 'failed' && wanted.includes(r.getAttribute('data-doc-name')!),
        );
        if (failed) throw new Error(`${failed.getAttribute('data-doc-name')} failed: ${failed.textContent}`);
        return wanted.every((n) =>
          rows.some((r) => r.getAttribute('data-doc-name') === n && r.getAttribute('data-status') === 'ready'),
        );
      },
      names,
      { timeout: timeoutMs, polling: 250 },
    );
  } catch (err) {
    // Say what the rows showed, not just "timeout".
    const rows = await page
      .locator('[data-doc-name]')
      .evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('data-doc-name')}=${e.getAttribute('data-status')} ${e.textContent?.trim()}`),
      );
    const live = await page
      .locator('[data-testid="doc-live"]')
      .innerText()
      .catch(() => '?');
    throw new Error(`${(err as Error).message}\nrows: ${rows.join(' | ')}\nevents stream: ${live}`);
  }
}

/** Records the progress values the bars show until the documents are ready (proves live updates). */
export async function watchProgress(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const state = (g.__zk = { progress: [] as number[] });
    const read = () =>
      Array.from(g.document.querySelectorAll('[data-testid="doc-progress"] .el-progress__text')).forEach((el) => {
        const n = parseInt(el.textContent ?? '', 10);
        if (!Number.isNaN(n)) state.progress.push(n);
      });
    new g.MutationObserver(read).observe(g.document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (globalThis as unknown as PageGlobals).__zk?.progress ?? []);
}

export async function runHitTest(
  page: Page,
  kbId: string,
  baseUrl: string,
  query: string,
): Promise<{ count: number; marks: string[] }> {
  await page.goto(`${baseUrl}/knowledge-bases/${kbId}/hit-test`);
  await page.locator(field('hit-query')).fill(query);
  await page.locator(tid('hit-run')).click();
  await page.locator(tid('hit-results')).waitFor();
  const results = page.locator(tid('hit-result'));
  await results.first().waitFor({ timeout: 30_000 });
  const marks = await page.locator(`${tid('hit-results')} mark.zk-hl`).allInnerTexts();
  return { count: await results.count(), marks };
}

/** Asks in the chat page and waits for the streamed answer to finish; returns what was seen while streaming. */
export async function ask(
  page: Page,
  baseUrl: string,
  kbId: string,
  question: string,
): Promise<{ answer: string; sawPartial: boolean; citations: number }> {
  if (!page.url().includes('/chat')) await page.goto(`${baseUrl}/chat?kb=${kbId}`);
  const input = page.locator(field('chat-input'));
  await input.waitFor();
  await input.focus();
  await page.keyboard.type(question);
  const answers = page.locator(tid('chat-answer'));
  const before = await answers.count();
  await page.keyboard.press('Enter');
  const answer = answers.nth(before);
  await answer.waitFor();
  // Streaming: the answer shows text before it is done.
  let sawPartial = false;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const status = await answer.getAttribute('data-status');
    const text = (await answer.locator('.md').innerText()).trim();
    if (status === 'streaming' && text.length > 0) sawPartial = true;
    if (status !== 'streaming') break;
    if (Date.now() > deadline) throw new Error('the answer did not finish in 120 s');
    await page.waitForTimeout(30);
  }
  const status = await answer.getAttribute('data-status');
  if (status !== 'done') throw new Error(`answer ended with status ${status}: ${await answer.innerText()}`);
  return {
    answer: (await answer.locator('.md').innerText()).trim(),
    sawPartial,
    citations: await answer.locator('a.zk-cite').count(),
  };
}

/** Clicks the first [n] marker of the last answer and returns what the citation dialog shows. */
export async function openFirstCitation(page: Page): Promise<{ doc: string; pages: string; snippet: string }> {
  const last = page.locator(tid('chat-answer')).last();
  await last.locator('a.zk-cite').first().click();
  const dialog = page.locator('.el-dialog').filter({ has: page.locator(tid('citation-snippet')) });
  await dialog.waitFor();
  return {
    doc: (await dialog.locator(tid('citation-doc')).innerText()).trim(),
    pages: (await dialog.locator(tid('citation-pages')).innerText()).trim(),
    snippet: (await dialog.locator(tid('citation-snippet')).innerText()).trim(),
  };
}

export async function switchLanguage(page: Page, lang: 'zh-CN' | 'en'): Promise<void> {
  await page
    .locator(`header ${tid('lang-switch')}, .auth-lang ${tid('lang-switch')}`)
    .first()
    .click();
  await page.locator(`.el-dropdown-menu__item[data-lang="${lang}"]`).click();
  await page.waitForFunction((l) => (globalThis as unknown as PageGlobals).document.documentElement.lang === l, lang);
}

export function corpusFile(name: string): string {
  return path.join(CORPUS_DIR, name);
}
