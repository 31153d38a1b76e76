/**
 * The admin UI in real Chromium against an in-memory stand-in of the REST API (support/mock-api.ts):
 * the whole walk plus what the real backend can't easily be made to do on cue (Ollama down, 413/415,
 * duplicates, first-run setup). Needs `vite build --config web/vite.config.ts` first.
 */
import { existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  DESKTOP,
  PHONE,
  chromiumAvailable,
  hasHorizontalScroll,
  launchBrowser,
  measureJs,
  newContext,
  screenshot,
} from './support/browser';
import { MockApi } from './support/mock-api';
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
  uploadThroughDialog,
  waitForReady,
  watchProgress,
} from './support/walk';

const WEB_DIST = path.resolve(__dirname, '../../web/dist/index.html');
const ready = chromiumAvailable() && existsSync(WEB_DIST);
const d = ready ? describe : describe.skip;
if (!ready) console.warn('admin-ui-mock skipped: needs /usr/bin/chromium and a built web/dist');

d('admin UI against the mock API', () => {
  let api: MockApi;
  let base: string;
  let browser: Browser;
  let page: Page;
  let kbId: string;
  const R_DATA = corpusFile('R-data.pdf');
  const ZH = corpusFile('zhlipsum.pdf');

  beforeAll(async () => {
    api = new MockApi({ stepMs: 150, deltaMs: 30, maxUploadBytes: 2 * 1024 * 1024 });
    base = await api.start();
    browser = await launchBrowser();
    const ctx = await newContext(browser, { viewport: DESKTOP, locale: 'zh-CN' });
    page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
  });

  it('loads the login page with at most 400 KB of gzipped JavaScript', async () => {
    const js = await measureJs(page, async () => {
      await page.goto(`${base}/login`, { waitUntil: 'networkidle' });
    });
    console.log(
      `login page JS: ${js.files} files, ${(js.rawBytes / 1024).toFixed(1)} KB raw, ${(js.gzipBytes / 1024).toFixed(1)} KB gzip`,
    );
    expect(js.gzipBytes).toBeLessThanOrEqual(400 * 1024);
    // Chinese first (browser language zh-CN)
    await expect(page.locator('h1').innerText()).resolves.toContain('登录');
    await screenshot(page, 'mock/desktop-01-login');
  });

  it('shows the server message on a wrong password', async () => {
    await page.locator(field('login-email')).fill('admin@example.com');
    await page.locator(field('login-password')).fill('wrong-password');
    await page.locator('[data-testid="login-submit"]').click();
    await expect(page.locator('[data-testid="login-error"]').innerText()).resolves.toContain('Wrong email or password');
  });

  it('logs in and creates a knowledge base', async () => {
    await login(page, base, 'admin@example.com', 'password123');
    kbId = await createKnowledgeBase(page, 'R 手册', '英文与中文 PDF');
    expect(kbId).toMatch(/[0-9a-f-]{36}/);
  });

  it('uploads two PDFs through the dialog with per-file verdicts and watches them reach ready', async () => {
    const progress = await watchProgress(page);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'zhiku-ui-'));
    const zip = path.join(tmp, 'notes.zip');
    writeFileSync(zip, 'PK\u0003\u0004 not a document');
    const fakePdf = path.join(tmp, 'renamed.pdf');
    writeFileSync(fakePdf, 'PK\u0003\u0004 a zip pretending to be a PDF');
    const big = path.join(tmp, 'big.pdf');
    writeFileSync(big, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3 * 1024 * 1024, 32)]));

    const verdicts = await uploadThroughDialog(page, [R_DATA, ZH, zip, fakePdf, big]);
    expect(verdicts['R-data.pdf'].verdict).toBe('accepted');
    expect(verdicts['zhlipsum.pdf'].verdict).toBe('accepted');
    expect(verdicts['notes.zip'].verdict).toBe('rejected'); // refused in the browser by extension
    expect(verdicts['renamed.pdf'].verdict).toBe('rejected'); // 415 from the server (content is not a PDF)
    expect(verdicts['renamed.pdf'].reason).toMatch(/类型不支持|Wrong type/);
    expect(verdicts['big.pdf'].verdict).toBe('rejected');
    expect(verdicts['big.pdf'].reason).toMatch(/文件过大|Too big/);
    await screenshot(page, 'mock/desktop-03-upload-dialog');
    await closeDialog(page);

    await waitForReady(page, ['R-data.pdf', 'zhlipsum.pdf'], 60_000);
    const seen = await progress();
    expect(seen.some((p) => p > 0 && p < 100)).toBe(true); // bars moved live, not just a jump to ready
    await screenshot(page, 'mock/desktop-04-documents');

    // Same bytes again → duplicate
    const again = await uploadThroughDialog(page, [R_DATA]);
    expect(again['R-data.pdf'].verdict).toBe('duplicate');
    await closeDialog(page);
  });

  it('shows a document’s chunks with page numbers', async () => {
    await page.locator('[data-doc-name="zhlipsum.pdf"] a.doc-name').click();
    await page.locator('[data-testid="chunk-card"]').first().waitFor();
    await expect(page.locator('[data-testid="chunk-card"]').first().innerText()).resolves.toMatch(/第 \d+/);
    await screenshot(page, 'mock/desktop-05-chunks');
  });

  it('runs a hit test that returns passages with matched words highlighted (English and Chinese)', async () => {
    const en = await runHitTest(page, kbId, base, 'How does read.table import a file?');
    expect(en.count).toBeGreaterThan(0);
    expect(en.marks.map((m) => m.toLowerCase())).toEqual(expect.arrayContaining(['read.table']));
    const zh = await runHitTest(page, kbId, base, '知识库如何检索');
    expect(zh.count).toBeGreaterThan(0);
    expect(zh.marks.join('')).toMatch(/知识库|检索/);
    await screenshot(page, 'mock/desktop-06-hit-test');
  });

  it('saves knowledge-base settings', async () => {
    await page.goto(`${base}/knowledge-bases/${kbId}/settings`);
    await page.locator(field('kb-prompt')).fill('只根据资料回答。');
    await page.locator('[data-testid="kb-settings-save"]').click();
    await page.locator('.el-message--success').waitFor();
    expect((api.kbs[0].settings as Record<string, unknown>).prompt).toBe('只根据资料回答。');
    await screenshot(page, 'mock/desktop-07-kb-settings');
  });

  it('streams an answer with clickable citations and shows its trace', async () => {
    const r = await ask(page, base, kbId, 'How does read.table read a file?');
    expect(r.sawPartial).toBe(true);
    expect(r.citations).toBeGreaterThan(0);
    expect(r.answer).toContain('read.table');
    await screenshot(page, 'mock/desktop-08-chat');
    const c = await openFirstCitation(page);
    expect(c.doc).toMatch(/\.pdf$/);
    expect(c.pages).toMatch(/第 \d+/);
    expect(c.snippet.length).toBeGreaterThan(10);
    await screenshot(page, 'mock/desktop-09-citation');
    // "open original" fetches the file with the token and opens it at the page
    const popup = page.waitForEvent('popup');
    await page.locator('[data-testid="citation-open"]').click();
    const win = await popup;
    await win.waitForURL(/^blob:.*#page=\d+$/);
    await win.close();
    await closeDialog(page);
    await page.locator('[data-testid="chat-trace"]').last().click();
    await page.locator('.el-drawer').getByText('rewrittenQuery').waitFor();
    await screenshot(page, 'mock/desktop-10-trace');
    await page.keyboard.press('Escape');
    // follow-up in the same conversation, Chinese
    const r2 = await ask(page, base, kbId, '知识库如何检索？');
    expect(r2.citations).toBeGreaterThan(0);
    expect(api.conversations).toHaveLength(1);
    expect(api.conversations[0].messages).toHaveLength(4);
  });

  it('shows models, pulls one with a progress bar', async () => {
    await page.goto(`${base}/models`);
    await page.locator('[data-testid="model-table"]').getByText('bge-m3:latest').waitFor();
    await page.locator(field('pull-name')).fill('llama3.2:1b');
    await page.locator('[data-testid="pull-start"]').click();
    await page.locator('[data-testid="pull-progress"] .el-progress.is-success').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="model-table"]').getByText('llama3.2:1b').waitFor();
    await screenshot(page, 'mock/desktop-11-models');
  });

  it('creates an API key, shows the secret once with a curl example, and revokes it', async () => {
    await page.goto(`${base}/keys`);
    await page.locator('[data-testid="key-create"]').click();
    await page.locator(field('key-name')).fill('CI bot');
    await page.locator('[data-testid="key-save"]').click();
    const secret = (await page.locator('[data-testid="key-secret"]').innerText()).trim();
    expect(secret).toMatch(/^zk_/);
    await expect(page.locator('.el-dialog pre').first().innerText()).resolves.toContain(`Bearer ${secret}`);
    await screenshot(page, 'mock/desktop-12-api-key-created');
    await page
      .locator('.el-dialog__footer button')
      .filter({ hasText: /关闭|Close/ })
      .last()
      .click();
    await page.locator('[data-testid="key-revoke"]').first().click();
    await page.locator('.el-message-box .el-button--danger').click();
    await page.locator('[data-testid="key-table"]').getByText('CI bot').waitFor({ state: 'detached' });
  });

  it('manages users (admin only)', async () => {
    await page.goto(`${base}/users`);
    await page.locator('[data-testid="user-table"]').getByText('admin@example.com').waitFor();
    await screenshot(page, 'mock/desktop-13-users');
    await page.goto(`${base}/settings`);
    await page.locator('[data-testid="settings-lang"]').waitFor();
    await screenshot(page, 'mock/desktop-14-settings');
  });

  it('shows the Ollama banner with the fix hint on every page while Ollama is down', async () => {
    api.setOllama('down');
    await page.goto(`${base}/knowledge-bases`);
    const banner = page.locator('[data-testid="health-banner"]');
    await banner.waitFor();
    await expect(banner.innerText()).resolves.toContain('OLLAMA_HOST=0.0.0.0');
    await screenshot(page, 'mock/desktop-15-ollama-down-banner');
    await page.goto(`${base}/chat?kb=${kbId}`);
    await banner.waitFor();
    api.setOllama('missing-models');
    await page.locator('[data-testid="health-banner"] button').click();
    await expect(banner.innerText()).resolves.toContain('qwen2.5:7b');
    api.setOllama('up');
    await page.locator('[data-testid="health-banner"] button').click();
    await banner.waitFor({ state: 'detached' });
  });

  it('switches the language to English and remembers it', async () => {
    await page.goto(`${base}/knowledge-bases`);
    await switchLanguage(page, 'en');
    await expect(page.locator('[data-testid="nav-knowledge-bases"]').innerText()).resolves.toContain('Knowledge bases');
    await page.reload();
    await expect(page.locator('[data-testid="nav-knowledge-bases"]').innerText()).resolves.toContain('Knowledge bases');
    await screenshot(page, 'mock/desktop-02-knowledge-bases-en');
    await page.goto(`${base}/knowledge-bases/${kbId}/documents`);
    await page.locator('[data-doc-name="R-data.pdf"]').waitFor();
    await screenshot(page, 'mock/desktop-16-documents-en');
    await page.goto(`${base}/chat?kb=${kbId}`);
    await page.locator('[data-testid="chat-conversations"] .conv-open').first().click();
    await page.locator('[data-testid="chat-answer"]').first().waitFor();
    await screenshot(page, 'mock/desktop-17-chat-en');
  });

  it('works at phone width without horizontal scrolling', async () => {
    const ctx = await newContext(browser, { viewport: PHONE, locale: 'zh-CN', mobile: true });
    const phone = await ctx.newPage();
    await phone.goto(`${base}/login`);
    expect(await hasHorizontalScroll(phone)).toBe(false);
    await screenshot(phone, 'mock/phone-01-login');
    await login(phone, base, 'admin@example.com', 'password123');
    const pages: [string, string, string][] = [
      ['/knowledge-bases', '[data-testid="kb-card"]', 'mock/phone-02-knowledge-bases'],
      [`/knowledge-bases/${kbId}/documents`, '[data-doc-name="R-data.pdf"]', 'mock/phone-03-documents'],
      [`/knowledge-bases/${kbId}/hit-test`, '[data-testid="hit-query"]', 'mock/phone-04-hit-test'],
      [`/chat?kb=${kbId}`, '[data-testid="chat-input"]', 'mock/phone-05-chat'],
      ['/models', '[data-testid="model-table"]', 'mock/phone-06-models'],
      ['/keys', '[data-testid="key-table"]', 'mock/phone-07-api-keys'],
    ];
    for (const [url, selector, shot] of pages) {
      await phone.goto(`${base}${url}`);
      await phone.locator(selector).first().waitFor();
      await phone.waitForTimeout(300);
      expect({ url, scroll: await hasHorizontalScroll(phone) }).toEqual({ url, scroll: false });
      await screenshot(phone, shot);
    }
    // keyboard: the chat input takes focus by Tab and sends with Enter
    const r = await ask(phone, base, kbId, '知识库如何检索？');
    expect(r.citations).toBeGreaterThan(0);
    expect(await hasHorizontalScroll(phone)).toBe(false);
    await screenshot(phone, 'mock/phone-08-chat-answer');
    await phone.locator('[data-testid="nav-toggle"]').click();
    await phone.locator('.el-drawer [data-testid="nav-models"]').waitFor();
    await screenshot(phone, 'mock/phone-09-nav-drawer');
    await ctx.close();
  });

  it('reaches the upload drop zone by keyboard', async () => {
    await page.goto(`${base}/knowledge-bases/${kbId}/documents`);
    await page.locator('[data-testid="upload-open"]').focus();
    await page.keyboard.press('Enter');
    const drop = page.locator('[data-testid="upload-drop"]');
    await drop.waitFor();
    await settle(page);
    // Tab until the drop zone has focus
    const focused = () => drop.evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement);
    for (let i = 0; i < 10 && !(await focused()); i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe(true);
    // Enter on the focused drop zone opens the file chooser (Space does too). Under load the dialog's
    // focus trap can still move focus once right after opening: then Tab back and press again.
    let chooser = await Promise.all([
      page.waitForEvent('filechooser', { timeout: 3_000 }).catch(() => null),
      page.keyboard.press('Enter'),
    ]).then(([c]) => c);
    if (!chooser) {
      for (let i = 0; i < 10 && !(await focused()); i++) await page.keyboard.press('Tab');
      [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
    }
    await chooser.setFiles([ZH]);
    await page.locator('[data-testid="upload-item"]').first().waitFor();
    await closeDialog(page);
  });

  it('offers the first-run setup when no user exists', async () => {
    const fresh = new MockApi({ setupRequired: true });
    const url = await fresh.start();
    const ctx = await newContext(browser, { locale: 'en-US' });
    const p = await ctx.newPage();
    try {
      await p.goto(`${url}/knowledge-bases`);
      await p.waitForURL(/\/setup/);
      await expect(p.locator('h1').innerText()).resolves.toContain('create the administrator');
      await screenshot(p, 'mock/desktop-00-setup-en');
      await p.locator(field('setup-email')).fill('owner@example.com');
      await p.locator(field('setup-password')).fill('s3cret-pass');
      await p.locator(field('setup-confirm')).fill('s3cret-pass');
      await p.locator('[data-testid="setup-submit"]').click();
      await p.waitForURL(/\/knowledge-bases/);
      expect(fresh.users.map((u) => [u.email, u.role])).toEqual([['owner@example.com', 'admin']]);
    } finally {
      await ctx.close();
      await fresh.stop();
    }
  });

  it('changes the password from the user menu and stays signed in with the new session', async () => {
    await page.goto(`${base}/knowledge-bases`);
    await page.locator('[data-testid="user-menu"]').click();
    await page.locator('[data-testid="menu-password"]').click();
    const dialog = page.locator('.el-dialog').filter({ has: page.locator('input[autocomplete="current-password"]') });
    await dialog.waitFor();
    await settle(page);
    const inputs = dialog.locator('input[type="password"]');
    await inputs.nth(0).fill('password123');
    await inputs.nth(1).fill('new-password-456');
    await inputs.nth(2).fill('new-password-456');
    await dialog.locator('.el-dialog__footer .el-button--primary').click();
    await page.locator('.el-message--success').waitFor();
    expect(api.users[0].password).toBe('new-password-456');
    // the old token was revoked by the server; the page keeps working with the new one
    await page.goto(`${base}/models`);
    await page.locator('[data-testid="model-table"]').waitFor();
    expect(page.url()).toContain('/models');
  });

  it('deletes a conversation', async () => {
    await page.goto(`${base}/chat?kb=${kbId}`);
    const list = page.locator('[data-testid="chat-conversations"] .conv');
    await list.first().waitFor();
    const before = await list.count();
    await list.first().hover();
    await list.first().locator('.conv-del').click();
    await page.locator('.el-message-box .el-button--danger').click();
    await page.waitForFunction(
      (n) =>
        (globalThis as unknown as PageGlobals).document.querySelectorAll('[data-testid="chat-conversations"] .conv')
          .length === n,
      before - 1,
    );
    expect(api.conversations).toHaveLength(before - 1);
  });

  it('goes back to login when the token is rejected (401)', async () => {
    await page.evaluate(() => (globalThis as unknown as PageGlobals).localStorage.setItem('zhiku.token', 'expired'));
    await page.goto(`${base}/models`);
    await page.waitForURL(/\/login\?redirect=(%2F|\/)models/);
  });
});
