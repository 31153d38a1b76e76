/**
 * The admin UI, end to end: the whole zhiku app (API + worker, real PostgreSQL/pgvector and Redis, the fake
 * Ollama as the only stand-in) serving the built UI at /, driven by Debian's Chromium through playwright-core.
 * One app and one browser for the whole file; the first-run setup gets an app of its own on a fresh database.
 *
 * Walk: log in → create a knowledge base → upload PDFs through the dialog (with a too-big file, a wrong
 * type and a ZIP renamed to .pdf) → both progress bars reach ready → chunks → hit test → settings → a
 * streamed answer with a clickable citation → models (pull with progress) → API keys → users → the Ollama
 * banners (fake stopped, then a model missing) → language → keyboard → conversation deletion → a member's
 * password change → phone width → 401 back to login → first-run setup. Screenshots go to test-output/screenshots/.
 *
 * Run through the root jest config: `npm run web:build && npm run test:e2e -- --testPathPatterns test/ui`.
 * Skipped with a warning when /usr/bin/chromium or web/dist is missing.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import type { Browser, Page } from 'playwright-core';
import { preparePostgres } from '../../src/database/migrate';
import { FakeOllama, type FakeOllamaOptions } from '../fake-ollama/fake-ollama.server';
import { bearer, createMember, login as apiLogin, TEST_ADMIN, uniqueEmail } from '../support/auth-helpers';
import { pageImage, scannedPdf } from '../ingestion/support/format-fixtures';
import { startTestApp, type TestApp } from '../support/test-app';
import { PG_SERVER_URL, TEST_DATABASE_NAME } from '../support/test-env';
import {
  DESKTOP,
  PHONE,
  chromiumAvailable,
  hasHorizontalScroll,
  guardRequests,
  launchBrowser,
  measureJs,
  newContext,
  remoteUrl,
  screenshot,
} from './support/browser';
import type { PageGlobals } from './support/page-globals';
import {
  ask,
  closeDialog,
  corpusFile,
  createKnowledgeBase,
  field,
  login,
  openFirstCitation,
  runHitTest,
  settle,
  switchLanguage,
  tabUntilFocused,
  uploadThroughDialog,
  waitForReady,
  watchProgress,
} from './support/walk';

const WEB_DIST = path.resolve(__dirname, '../../web/dist');
const built = existsSync(path.join(WEB_DIST, 'index.html'));
const runnable = chromiumAvailable() && built;
if (!runnable) {
  console.warn(
    `admin-ui e2e skipped: ${[
      !chromiumAvailable() && 'no /usr/bin/chromium (apt-get install chromium)',
      !built && 'web/dist not built (npm run web:build)',
    ]
      .filter(Boolean)
      .join(', ')}`,
  );
}
const d = runnable ? describe : describe.skip;

/** The page's speech synthesis, replaced in one test by a recorder. */
interface SpeechGlobals {
  spoken: { text: string; lang: string }[];
  speechSynthesis: { speak: (u: { text: string; lang: string; onend?: (() => void) | null }) => void };
}

/** Streams the canned answer in small pieces with a pause, so the test (and a screenshot) sees it grow. */
const FAKE_OPTIONS: FakeOllamaOptions = { tokenDelayMs: 25, charactersPerPiece: 4 };
const NEW_PASSWORD = 'new-password-456';

d('admin UI end to end (real backend, fake Ollama)', () => {
  let fake: FakeOllama;
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let kbId: string;
  /** The UI as a LAN user opens it: http://zhiku.test:<port> (t.url, 127.0.0.1, is for the test's own API calls). */
  let ui: string;
  let requestProblems: () => string[];
  const kbName = `UI walk ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
  const R_DATA = corpusFile('R-data.pdf');
  const ZH = corpusFile('zhlipsum.pdf');

  let signedIn: Promise<string> | undefined;
  const adminToken = (): Promise<string> =>
    (signedIn ??= apiLogin(t, TEST_ADMIN.email, TEST_ADMIN.password).then((session) => session.token));

  /** The REST API as a script would call it, to check what the UI did. */
  async function api<T>(urlPath: string, init: RequestInit = {}): Promise<T> {
    const headers = { ...bearer(await adminToken()), ...init.headers };
    const res = await fetch(`${t.url}${urlPath}`, { ...init, headers });
    if (!res.ok) throw new Error(`${urlPath} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Presses the banner's "check again" until its text matches (the app's HTTP pool may need one retry). */
  async function recheckBannerUntil(expected: RegExp): Promise<string> {
    const banner = page.locator('[data-testid="health-banner"]');
    let text = '';
    for (let attempt = 0; attempt < 10; attempt++) {
      await banner.locator('button').click();
      await page.waitForFunction(
        () =>
          !(globalThis as unknown as PageGlobals).document.querySelector('[data-testid="health-banner"] .is-loading'),
      );
      text = await banner.innerText().catch(() => '');
      if (expected.test(text)) return text;
      await page.waitForTimeout(200);
    }
    throw new Error(`the banner never matched ${expected}; it said: ${text}`);
  }

  beforeAll(async () => {
    fake = await FakeOllama.start({ port: 0, ...FAKE_OPTIONS });
    t = await startTestApp({
      fake,
      // MAX_UPLOAD_MB=1: the corpus PDFs (≈ 300 KB) pass, the test's 1.5 MB file gets the 413.
      env: {
        ADMIN_EMAIL: TEST_ADMIN.email,
        ADMIN_PASSWORD: TEST_ADMIN.password,
        WEB_DIR: WEB_DIST,
        MAX_UPLOAD_MB: '1',
      },
    });
    ui = remoteUrl(t.url);
    browser = await launchBrowser();
    const ctx = await newContext(browser, { viewport: DESKTOP, locale: 'zh-CN' });
    requestProblems = guardRequests(ctx, [ui]);
    page = await ctx.newPage();
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await fake?.stop();
  });

  it('serves the UI at / and the login page within the 400 KB gzipped-JS budget', async () => {
    const js = await measureJs(page, async () => {
      await page.goto(`${ui}/login`, { waitUntil: 'networkidle' });
    });
    console.log(`login page JS: ${js.files} files, ${(js.gzipBytes / 1024).toFixed(1)} KB gzip`);
    expect(js.gzipBytes).toBeLessThanOrEqual(400 * 1024);
    await expect(page.locator('h1').innerText()).resolves.toContain('登录'); // the browser's language first
    await screenshot(page, 'desktop-01-login');
  });

  it("shows the server's message on a wrong password", async () => {
    await page.locator(field('login-email')).fill(TEST_ADMIN.email);
    await page.locator(field('login-password')).fill('wrong-password');
    await page.locator('[data-testid="login-submit"]').click();
    await expect(page.locator('[data-testid="login-error"]').innerText()).resolves.toContain('Wrong email or password');
  });

  it('logs in and creates a knowledge base', async () => {
    await login(page, ui, TEST_ADMIN.email, TEST_ADMIN.password);
    await screenshot(page, 'desktop-02-knowledge-bases');
    kbId = await createKnowledgeBase(page, kbName, 'R-data.pdf + zhlipsum.pdf');
    expect(kbId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('uploads two PDFs through the dialog with per-file verdicts; both progress bars reach ready', async () => {
    const progress = await watchProgress(page);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'zhiku-ui-'));
    const big = path.join(tmp, 'too-big.pdf');
    writeFileSync(big, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(1536 * 1024, 32)]));
    const zip = path.join(tmp, 'archive.zip');
    writeFileSync(zip, 'PK\u0003\u0004');
    const renamed = path.join(tmp, 'renamed.pdf');
    writeFileSync(renamed, 'PK\u0003\u0004 a zip pretending to be a PDF');

    const verdicts = await uploadThroughDialog(page, [R_DATA, ZH, big, zip, renamed]);
    expect(verdicts['R-data.pdf'].verdict).toBe('accepted');
    expect(verdicts['zhlipsum.pdf'].verdict).toBe('accepted');
    // Per-file rejections, in words: 413 from the server, a .zip refused before sending, 415 for the content.
    expect(verdicts['too-big.pdf']).toEqual({ verdict: 'rejected', reason: expect.stringMatching(/文件过大|Too big/) });
    expect(verdicts['archive.zip']).toEqual({
      verdict: 'rejected',
      reason: expect.stringMatching(/类型不支持|Wrong type/),
    });
    expect(verdicts['renamed.pdf']).toEqual({
      verdict: 'rejected',
      reason: expect.stringMatching(/类型不支持|Wrong type/),
    });
    expect(verdicts['renamed.pdf'].reason).toMatch(/ZIP/i); // the server says what the file really is
    await screenshot(page, 'desktop-03-upload-dialog');
    await closeDialog(page);

    await waitForReady(page, ['R-data.pdf', 'zhlipsum.pdf'], 240_000);
    const seen = await progress();
    console.log(`progress values shown: ${[...new Set(seen)].join(', ')}`);
    expect(seen.length).toBeGreaterThan(0); // the bars were on screen and updated from the events stream
    await screenshot(page, 'desktop-04-documents');

    // Same bytes again: the dialog says "duplicate" and the server keeps one document.
    const again = await uploadThroughDialog(page, [R_DATA]);
    expect(again['R-data.pdf'].verdict).toBe('duplicate');
    await closeDialog(page);
    const docs = await api<{ items: { filename: string }[] }>(`/api/knowledge-bases/${kbId}/documents`);
    expect(docs.items.map((doc) => doc.filename).sort()).toEqual(['R-data.pdf', 'zhlipsum.pdf']);
  }, 300_000);

  it('shows the chunks of a document with page numbers', async () => {
    await page.locator('[data-doc-name="R-data.pdf"] a.doc-name').click();
    await page.locator('[data-testid="chunk-card"]').first().waitFor();
    await expect(page.locator('[data-testid="chunk-card"]').first().innerText()).resolves.toMatch(/第 \d+|p\. \d+/);
    await screenshot(page, 'desktop-05-chunks');
  });

  it('uploads a scanned PDF and a photographed page: the list shows the OCR progress until both are ready', async () => {
    const scans = await api<{ id: string }>('/api/knowledge-bases', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: '扫描件 scans' }),
    });
    await page.goto(`${ui}/knowledge-bases/${scans.id}/documents`);
    await page.locator('[data-testid="upload-open"]').waitFor();
    await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals & { __zkOcr?: string[] };
      const seen: string[] = (g.__zkOcr = []);
      const read = () =>
        Array.from(g.document.querySelectorAll('[data-testid="doc-ocr-progress"]')).forEach((el) =>
          seen.push((el.textContent ?? '').trim()),
        );
      new g.MutationObserver(read).observe(g.document.body, { subtree: true, childList: true, characterData: true });
    });
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'zhiku-ui-ocr-'));
    const scan = path.join(tmp, 'scan.pdf');
    writeFileSync(scan, scannedPdf('R-intro.pdf', [10, 11], { dpi: 150 }));
    const photo = path.join(tmp, 'photo.png');
    writeFileSync(photo, pageImage('R-intro.pdf', 12, 150));
    const verdicts = await uploadThroughDialog(page, [scan, photo]);
    expect(verdicts['scan.pdf'].verdict).toBe('accepted');
    expect(verdicts['photo.png'].verdict).toBe('accepted');
    await closeDialog(page);
    await waitForReady(page, ['scan.pdf', 'photo.png'], 240_000);
    const seen = await page.evaluate(() => (globalThis as unknown as { __zkOcr?: string[] }).__zkOcr ?? []);
    console.log(`OCR progress shown: ${[...new Set(seen)].join(', ')}`);
    expect(seen).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(OCR 识别第 [12] \/ 2 页|OCR page [12] of 2)$/)]),
    );
    await page.goto(`${ui}/knowledge-bases/${kbId}/documents`);
  }, 300_000);

  it('runs a hit test that returns passages (English, and Chinese from the Chinese PDF)', async () => {
    const en = await runHitTest(page, kbId, ui, 'read.table data frame');
    expect(en.count).toBeGreaterThan(0);
    expect(en.marks.length).toBeGreaterThan(0);
    // A Chinese query taken from the indexed Chinese text itself (zhlipsum is random Chinese).
    const zhQuery = await page.evaluate(async (kb) => {
      const { localStorage } = globalThis as unknown as PageGlobals;
      const h = { Authorization: `Bearer ${localStorage.getItem('zhiku.token')}` };
      const docs = (await (await fetch(`/api/knowledge-bases/${kb}/documents?q=zhlipsum`, { headers: h })).json()) as {
        items: { id: string }[];
      };
      const chunks = (await (
        await fetch(`/api/documents/${docs.items[0].id}/chunks?page=1&pageSize=5`, { headers: h })
      ).json()) as {
        items: { content: string }[];
      };
      const text = chunks.items.map((c) => c.content).join('');
      return (text.match(/[\u4e00-\u9fff]{4}/) ?? [''])[0];
    }, kbId);
    expect(zhQuery).toMatch(/^[\u4e00-\u9fff]{4}$/);
    const zh = await runHitTest(page, kbId, ui, zhQuery);
    expect(zh.count).toBeGreaterThan(0);
    expect(zh.marks.join('')).toMatch(/[\u4e00-\u9fff]/);
    await screenshot(page, 'desktop-06-hit-test');
  });

  it('saves the knowledge-base settings', async () => {
    await page.goto(`${ui}/knowledge-bases/${kbId}/settings`);
    await page.locator(field('kb-prompt')).fill('只根据资料回答。');
    await page.locator('[data-testid="kb-settings-save"]').click();
    await page.locator('.el-message--success').waitFor();
    const kb = await api<{ settings: { prompt?: string } }>(`/api/knowledge-bases/${kbId}`);
    expect(kb.settings.prompt).toBe('只根据资料回答。');
    await screenshot(page, 'desktop-07-kb-settings');
  });

  it('asks: the answer streams in with a clickable citation that opens the source; a follow-up in Chinese', async () => {
    const r = await ask(page, ui, kbId, 'How do I read a CSV file into a data frame?');
    expect(r.answer.length).toBeGreaterThan(0);
    expect(r.sawPartial).toBe(true);
    expect(r.citations).toBeGreaterThan(0);
    await screenshot(page, 'desktop-08-chat');
    const c = await openFirstCitation(page);
    expect(c.doc).toMatch(/\.pdf$/);
    expect(c.pages).toMatch(/第 \d+|p\. \d+/);
    expect(c.snippet.length).toBeGreaterThan(0);
    await screenshot(page, 'desktop-09-citation');
    // "open original" fetches the file with the token and opens it at the page
    const popup = page.waitForEvent('popup');
    await page.locator('[data-testid="citation-open"]').click();
    const win = await popup;
    await win.waitForURL(/^blob:.*#page=\d+$/);
    await win.close();
    await closeDialog(page);
    await page.locator('[data-testid="chat-trace"]').last().click();
    await page.locator('.el-drawer__body .sec').first().waitFor();
    await screenshot(page, 'desktop-10-trace');
    await page.keyboard.press('Escape');

    const r2 = await ask(page, ui, kbId, '这份资料讲了什么？');
    expect(r2.answer.length).toBeGreaterThan(0);
    const list = await api<{ items: { id: string }[] }>(`/api/knowledge-bases/${kbId}/conversations`);
    expect(list.items).toHaveLength(1);
    const conversation = await api<{ messages: unknown[] }>(`/api/conversations/${list.items[0].id}`);
    expect(conversation.messages).toHaveLength(4); // both turns in the same conversation
  }, 180_000);

  it('reads the answer aloud sentence by sentence with the read-aloud switch on, and remembers the switch', async () => {
    await page.goto(`${ui}/chat?kb=${kbId}`);
    const toggle = page.locator('[data-testid="chat-read-aloud"]');
    await toggle.waitFor();
    // The browser's voices are not under test: record what the page asks it to say.
    await page.evaluate(() => {
      const g = globalThis as unknown as SpeechGlobals;
      g.spoken = [];
      g.speechSynthesis.speak = (u) => {
        g.spoken.push({ text: u.text, lang: u.lang });
        setTimeout(() => u.onend?.(), 5);
      };
    });
    await toggle.click();
    await page.locator('[data-testid="chat-read-aloud"].is-checked').waitFor();
    const r = await ask(page, ui, kbId, 'How do I read a CSV file into a data frame?');
    expect(r.answer.length).toBeGreaterThan(0);
    const spoken = await page.evaluate(() => (globalThis as unknown as SpeechGlobals).spoken);
    expect(spoken.length).toBeGreaterThan(0);
    expect(spoken.every((s) => s.lang === 'en-US')).toBe(true);
    expect(spoken.map((s) => s.text).join(' ')).not.toMatch(/\[\d+\]/);
    await screenshot(page, 'desktop-08b-chat-read-aloud');

    await page.reload();
    await page.locator('[data-testid="chat-read-aloud"].is-checked').waitFor();
    await page.locator('[data-testid="chat-read-aloud"]').click();
    await page.locator('[data-testid="chat-read-aloud"]:not(.is-checked)').waitFor();
  });

  it("lists Ollama's models and pulls one with a live progress bar (relayed from Ollama's /api/pull)", async () => {
    fake.configure({ missingModels: ['qwen3:0.6b'], tokenDelayMs: 150 });
    try {
      await page.goto(`${ui}/models`);
      const table = page.locator('[data-testid="model-table"]');
      await table.getByText('bge-m3:latest').waitFor();
      expect(await table.getByText('qwen3:0.6b').count()).toBe(0);
      await expect(page.locator('[data-testid="ollama-status"]').innerText()).resolves.toContain(fake.url);

      await page.locator(field('pull-name')).fill('qwen3:0.6b');
      await page.locator('[data-testid="pull-start"]').click();
      // The bar moves through Ollama's download steps before it completes.
      await page.waitForFunction(() => {
        const { document } = globalThis as unknown as PageGlobals;
        const n = parseInt(
          document.querySelector('[data-testid="pull-progress"] .el-progress__text')?.textContent ?? '',
        );
        return n > 0 && n < 100;
      });
      await page.locator('[data-testid="pull-progress"] .el-progress.is-success').waitFor();
      await table.getByText('qwen3:0.6b').waitFor();
      await screenshot(page, 'desktop-11-models');

      // A name Ollama's library does not know: the error in words, no success.
      await page.locator(field('pull-name')).fill('no-such-model:1b');
      await page.locator('[data-testid="pull-start"]').click();
      await page.locator('[data-testid="pull-progress"] .el-progress.is-exception').waitFor();
      await expect(page.locator('[data-testid="pull-progress"]').innerText()).resolves.toContain('no-such-model:1b');
    } finally {
      fake.configure({ tokenDelayMs: FAKE_OPTIONS.tokenDelayMs });
    }
  });

  it('creates an API key, shows the secret once with a curl example, and revokes it', async () => {
    await page.goto(`${ui}/keys`);
    await page.locator('[data-testid="key-create"]').click();
    await page.locator(field('key-name')).fill('UI walk key');
    await page.locator('[data-testid="key-save"]').click();
    const secret = (await page.locator('[data-testid="key-secret"]').innerText()).trim();
    expect(secret).toMatch(/^zk_/);
    const example = await page.locator('.el-dialog pre').first().innerText();
    expect(example).toContain(`Bearer ${secret}`);
    expect(example).toContain(ui); // the curl example names the address the user opened, not loopback
    await screenshot(page, 'desktop-12-api-keys');
    await page
      .locator('.el-dialog__footer button')
      .filter({ hasText: /关闭|Close/ })
      .last()
      .click();
    await page.locator('[data-testid="key-revoke"]').first().click();
    await page.locator('.el-message-box .el-button--danger').click();
    await page.locator('[data-testid="key-table"]').getByText('UI walk key').waitFor({ state: 'detached' });
    // The revoked secret no longer opens anything.
    expect((await fetch(`${t.url}/api/knowledge-bases`, { headers: bearer(secret) })).status).toBe(401);
  });

  it('shows the users and settings pages', async () => {
    await page.goto(`${ui}/users`);
    await page.locator('[data-testid="user-table"]').getByText(TEST_ADMIN.email).waitFor();
    await screenshot(page, 'desktop-13-users');
    await page.goto(`${ui}/settings`);
    await page.locator('[data-testid="settings-lang"]').waitFor();
    await screenshot(page, 'desktop-14-settings');
  });

  it('shows a banner with the fix on every page while Ollama is down or a configured model is missing', async () => {
    const port = fake.port;
    await fake.stop();
    try {
      await page.goto(`${ui}/knowledge-bases`);
      const banner = page.locator('[data-testid="health-banner"]');
      await banner.waitFor();
      await expect(banner.innerText()).resolves.toContain('OLLAMA_HOST=0.0.0.0');
      await screenshot(page, 'desktop-15-ollama-down-banner');
      await page.goto(`${ui}/chat?kb=${kbId}`);
      await expect(banner.innerText()).resolves.toContain('OLLAMA_HOST=0.0.0.0');
    } finally {
      // Ollama comes back at the same address, but without the chat model.
      fake = await FakeOllama.start({ port, ...FAKE_OPTIONS, missingModels: ['qwen2.5:7b'] });
    }
    const missing = await recheckBannerUntil(/ollama pull qwen2\.5:7b/);
    expect(missing).toContain('qwen2.5:7b');
    await screenshot(page, 'desktop-16-model-missing-banner');
    fake.configure({ missingModels: [] });
    await page.locator('[data-testid="health-banner"] button').click();
    await page.locator('[data-testid="health-banner"]').waitFor({ state: 'detached' });
  });

  it('switches the language to English and remembers it', async () => {
    await page.goto(`${ui}/knowledge-bases`);
    await expect(page.locator('[data-testid="nav-knowledge-bases"]').innerText()).resolves.toContain('知识库');
    await switchLanguage(page, 'en');
    await expect(page.locator('[data-testid="nav-knowledge-bases"]').innerText()).resolves.toContain('Knowledge bases');
    await page.reload();
    await expect(page.locator('[data-testid="nav-knowledge-bases"]').innerText()).resolves.toContain('Knowledge bases');
    await screenshot(page, 'desktop-17-knowledge-bases-en');
    await page.goto(`${ui}/knowledge-bases/${kbId}/documents`);
    await page.locator('[data-doc-name="R-data.pdf"]').waitFor();
    await screenshot(page, 'desktop-18-documents-en');
    await page.goto(`${ui}/chat?kb=${kbId}`);
    await page.locator('[data-testid="chat-conversations"] .conv-open').first().click();
    await page.locator('[data-testid="chat-answer"]').first().waitFor();
    await screenshot(page, 'desktop-19-chat-en');
  });

  it('reaches the upload drop zone and the chat input by keyboard', async () => {
    await page.goto(`${ui}/knowledge-bases/${kbId}/documents`);
    await page.locator('[data-testid="upload-open"]').waitFor();
    expect(await tabUntilFocused(page, '[data-testid="upload-open"]')).toBe(true);
    await page.keyboard.press('Enter');
    const drop = '[data-testid="upload-drop"]';
    await page.locator(drop).waitFor();
    await settle(page);
    // Enter on the focused drop zone opens the file chooser (Space does too). Under load the dialog's focus
    // trap can still move focus right after opening: then Tab back and press again. One listener throughout,
    // so a chooser that opens late is still caught.
    const chooserOpened = page.waitForEvent('filechooser', { timeout: 20_000 });
    const opened = () =>
      Promise.race([chooserOpened.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 3_000))]);
    for (const key of ['Enter', 'Space', 'Enter']) {
      expect(await tabUntilFocused(page, drop, 10)).toBe(true);
      await page.keyboard.press(key);
      if (await opened()) break;
    }
    const chooser = await chooserOpened;
    await chooser.setFiles([ZH]);
    await page.locator('[data-testid="upload-item"]').first().waitFor();
    await closeDialog(page);

    await page.goto(`${ui}/chat?kb=${kbId}`);
    await page.locator(field('chat-input')).waitFor();
    expect(await tabUntilFocused(page, field('chat-input'))).toBe(true);
    await page.keyboard.type('What is a data frame?');
    const answers = page.locator('[data-testid="chat-answer"]');
    await page.keyboard.press('Enter');
    await answers.first().waitFor();
    await page.waitForFunction(
      () =>
        (globalThis as unknown as PageGlobals).document
          .querySelector('[data-testid="chat-answer"]')
          ?.getAttribute('data-status') === 'done',
    );
  });

  it('deletes a conversation', async () => {
    await page.goto(`${ui}/chat?kb=${kbId}`);
    const list = page.locator('[data-testid="chat-conversations"] .conv');
    await list.first().waitFor();
    const before = (await api<{ items: unknown[] }>(`/api/knowledge-bases/${kbId}/conversations`)).items.length;
    await page.waitForFunction(
      (n) =>
        (globalThis as unknown as PageGlobals).document.querySelectorAll('[data-testid="chat-conversations"] .conv')
          .length === n,
      before,
    );
    await list.first().hover();
    await list.first().locator('.conv-del').click();
    await page.locator('.el-message-box .el-button--danger').click();
    await page.waitForFunction(
      (n) =>
        (globalThis as unknown as PageGlobals).document.querySelectorAll('[data-testid="chat-conversations"] .conv')
          .length === n,
      before - 1,
    );
    const left = await api<{ items: unknown[] }>(`/api/knowledge-bases/${kbId}/conversations`);
    expect(left.items).toHaveLength(before - 1);
  });

  it('changes the password from the user menu and stays signed in with the new session', async () => {
    // A user of its own: the other test files of this run share the database and sign in as TEST_ADMIN.
    const member = await createMember(t, await adminToken(), uniqueEmail('ui-password'));
    const ctx = await newContext(browser, { viewport: DESKTOP, locale: 'zh-CN' });
    const p = await ctx.newPage();
    p.setDefaultTimeout(20_000);
    try {
      await login(p, ui, member.email, member.password);
      const oldToken = await p.evaluate(() =>
        (globalThis as unknown as PageGlobals).localStorage.getItem('zhiku.token'),
      );
      await p.locator('[data-testid="user-menu"]').click();
      await p.locator('[data-testid="menu-password"]').click();
      const dialog = p.locator('.el-dialog').filter({ has: p.locator('input[autocomplete="current-password"]') });
      await dialog.waitFor();
      await settle(p);
      const inputs = dialog.locator('input[type="password"]');
      await inputs.nth(0).fill(member.password);
      await inputs.nth(1).fill(NEW_PASSWORD);
      await inputs.nth(2).fill(NEW_PASSWORD);
      await dialog.locator('.el-dialog__footer .el-button--primary').click();
      await p.locator('.el-message--success').waitFor();

      // The server ended the old session; the page keeps working with the new one.
      expect((await fetch(`${t.url}/api/auth/me`, { headers: bearer(oldToken!) })).status).toBe(401);
      await p.goto(`${ui}/models`);
      await p.locator('[data-testid="model-table"]').getByText('bge-m3:latest').waitFor();
      expect(p.url()).toContain('/models');
      await expect(apiLogin(t, member.email, member.password)).rejects.toThrow(/401/);
      await apiLogin(t, member.email, NEW_PASSWORD);
    } finally {
      await ctx.close();
    }
  });

  it('works at phone width without horizontal scrolling, with the chat and the menu drawer (on loopback)', async () => {
    // This walk opens the UI as http://127.0.0.1:<port>, the others as http://zhiku.test:<port>: both must work.
    const phoneCtx = await newContext(browser, { viewport: PHONE, locale: 'zh-CN', mobile: true });
    const phoneProblems = guardRequests(phoneCtx, [t.url]);
    const phone = await phoneCtx.newPage();
    phone.setDefaultTimeout(20_000);
    try {
      await phone.goto(`${t.url}/login`);
      await phone.locator(field('login-email')).waitFor();
      expect(await hasHorizontalScroll(phone)).toBe(false);
      await screenshot(phone, 'phone-01-login');
      await login(phone, t.url, TEST_ADMIN.email, TEST_ADMIN.password);
      const pages: [string, string, string][] = [
        ['/knowledge-bases', '[data-testid="kb-card"]', 'phone-02-knowledge-bases'],
        [`/knowledge-bases/${kbId}/documents`, '[data-doc-name="R-data.pdf"]', 'phone-03-documents'],
        [`/knowledge-bases/${kbId}/hit-test`, field('hit-query'), 'phone-04-hit-test'],
        [`/chat?kb=${kbId}`, field('chat-input'), 'phone-05-chat'],
        ['/models', '[data-testid="model-table"]', 'phone-06-models'],
        ['/keys', '[data-testid="key-table"]', 'phone-07-api-keys'],
      ];
      for (const [url, selector, shot] of pages) {
        await phone.goto(`${t.url}${url}`);
        await phone.locator(selector).first().waitFor();
        expect({ url, scroll: await hasHorizontalScroll(phone) }).toEqual({ url, scroll: false });
        await screenshot(phone, shot);
      }
      const r = await ask(phone, t.url, kbId, 'How do I read a CSV file?');
      expect(r.citations).toBeGreaterThan(0);
      expect(await hasHorizontalScroll(phone)).toBe(false);
      await screenshot(phone, 'phone-08-chat-answer');
      await phone.locator('[data-testid="nav-toggle"]').click();
      await phone.locator('.el-drawer [data-testid="nav-models"]').waitFor();
      await screenshot(phone, 'phone-09-nav-drawer');
      expect(phoneProblems()).toEqual([]);
    } finally {
      await phoneCtx.close();
    }
  });

  it('goes back to login when the server rejects the stored token (401)', async () => {
    await page.evaluate(() => (globalThis as unknown as PageGlobals).localStorage.setItem('zhiku.token', 'corrupted'));
    await page.goto(`${ui}/models`);
    await page.waitForURL(/\/login\?redirect=(%2F|\/)models/);
    await page.locator(field('login-email')).waitFor();
  });

  it('opened by a host name that is not loopback, kept every request on http://zhiku.test and met no CSP refusal', () => {
    // Scripts, styles, the API, the event streams and the PDF viewer all ran through `ui` above.
    expect(requestProblems()).toEqual([]);
  });

  it('offers the first-run setup on a database without users, and the new administrator can work', async () => {
    const database = `${TEST_DATABASE_NAME}_setup`;
    const databaseUrl = `${PG_SERVER_URL}/${database}`;
    await recreateDatabase(database);
    await preparePostgres(databaseUrl, { migrate: true });
    // ADMIN_* empty: no bootstrap administrator, so the first visitor is asked to create one.
    const fresh = await startTestApp({
      role: 'api',
      fake,
      env: { DATABASE_URL: databaseUrl, WEB_DIR: WEB_DIST, ADMIN_EMAIL: '', ADMIN_PASSWORD: '' },
    });
    const ctx = await newContext(browser, { locale: 'en-US' });
    const freshUi = remoteUrl(fresh.url);
    const setupProblems = guardRequests(ctx, [freshUi]);
    const p = await ctx.newPage();
    p.setDefaultTimeout(20_000);
    try {
      await p.goto(`${freshUi}/knowledge-bases`);
      await p.waitForURL(/\/setup/);
      await expect(p.locator('h1').innerText()).resolves.toContain('create the administrator');
      await screenshot(p, 'desktop-00-setup-en');
      await p.locator(field('setup-email')).fill('owner@example.com');
      await p.locator(field('setup-password')).fill('s3cret-pass');
      await p.locator(field('setup-confirm')).fill('s3cret-pass');
      await p.locator('[data-testid="setup-submit"]').click();
      await p.waitForURL(/\/knowledge-bases/);
      await p.locator('[data-testid="kb-list"]').waitFor();

      const setup = (await (await fetch(`${fresh.url}/api/setup`)).json()) as { required: boolean };
      expect(setup.required).toBe(false);
      const owner = await apiLogin(fresh, 'owner@example.com', 's3cret-pass');
      expect(owner.user.role).toBe('admin');
      expect(setupProblems()).toEqual([]);
    } finally {
      await ctx.close();
      await fresh.close();
      await dropDatabase(database);
    }
  });
});

async function withServer<T>(run: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: `${PG_SERVER_URL}/postgres` });
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.end();
  }
}

async function dropDatabase(name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  await withServer((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

async function recreateDatabase(name: string): Promise<void> {
  await dropDatabase(name);
  await withServer((admin) => admin.query(`CREATE DATABASE ${name}`));
}
