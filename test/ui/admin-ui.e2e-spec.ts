/**
 * The admin UI, end to end: the whole zhiku app (API + worker, real PostgreSQL/pgvector and Redis, the fake
 * Ollama) serving the built UI, driven by Debian's Chromium through playwright-core.
 *
 * Walk: log in → create a knowledge base → upload R-data.pdf and zhlipsum.pdf through the upload dialog →
 * both progress bars reach ready → hit test returns passages → ask, the answer streams with a clickable
 * citation → switch the language. Screenshots of every main page go to test-output/screenshots/.
 *
 * Where the app comes from:
 *  - by default the project's harness (test/support/test-app.ts → startTestApp) with WEB_DIR=web/dist,
 *    the bootstrap admin TEST_ADMIN and a fake Ollama that streams slowly enough to watch. Run it through
 *    the root jest config (test database, --experimental-vm-modules): `npm run test:e2e -- --testPathPatterns test/ui`.
 *  - or ZHIKU_UI_BASE_URL (+ ZHIKU_UI_EMAIL, ZHIKU_UI_PASSWORD): an app that is already running.
 * Skipped with a warning when /usr/bin/chromium or web/dist (`npm run web:build`) is missing.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { PageGlobals } from './support/page-globals';
import { startUiProxy } from './support/ui-proxy';
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
import {
  ask,
  closeDialog,
  corpusFile,
  createKnowledgeBase,
  field,
  login,
  openFirstCitation,
  runHitTest,
  switchLanguage,
  uploadThroughDialog,
  waitForReady,
  watchProgress,
} from './support/walk';

export interface UiApp {
  baseUrl: string;
  adminEmail: string;
  adminPassword: string;
  stop(): Promise<void>;
}

async function startApp(): Promise<UiApp> {
  if (process.env.ZHIKU_UI_BASE_URL) {
    return {
      baseUrl: process.env.ZHIKU_UI_BASE_URL.replace(/\/+$/, ''),
      adminEmail: process.env.ZHIKU_UI_EMAIL ?? 'admin@example.com',
      adminPassword: process.env.ZHIKU_UI_PASSWORD ?? 'password123',
      stop: async () => undefined,
    };
  }
  // Loaded here, not at the top: the harness needs the root jest setup (test database) to import.
  const { startTestApp } = require('../support/test-app') as typeof import('../support/test-app');
  const { TEST_ADMIN } = require('../support/auth-helpers') as typeof import('../support/auth-helpers');
  const t = await startTestApp({
    // MAX_UPLOAD_MB=1: the corpus PDFs (≈ 300 KB) pass, the test's 1.5 MB file gets the 413.
    env: { ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password, WEB_DIR: WEB_DIST, MAX_UPLOAD_MB: '1' },
  });
  // Stream the canned answer in small pieces with a pause, so the test (and a screenshot) sees it grow.
  t.fake.configure({ tokenDelayMs: 25, charactersPerPiece: 4 });
  const ui = await fetch(`${t.url}/login`);
  if (ui.ok && (ui.headers.get('content-type') ?? '').includes('text/html')) {
    return { baseUrl: t.url, adminEmail: TEST_ADMIN.email, adminPassword: TEST_ADMIN.password, stop: () => t.close() };
  }
  // The app did not serve web/dist: under Test.createTestingModule, ServeStaticModule picks its no-op loader
  // (no HTTP adapter exists yet when its providers are built). The harness fixes that with
  // `.overrideProvider(AbstractLoader).useValue(new ExpressLoader())` (@nestjs/serve-static); until then the
  // UI is served by a small proxy in front of the real API, so the walk still runs against the real backend.
  console.warn('the test app does not serve web/dist at / — serving it through test/ui/support/ui-proxy.ts');
  const proxy = await startUiProxy(WEB_DIST, t.url);
  return {
    baseUrl: proxy.url,
    adminEmail: TEST_ADMIN.email,
    adminPassword: TEST_ADMIN.password,
    stop: async () => {
      await proxy.stop();
      await t.close();
    },
  };
}

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

d('admin UI end to end (real backend, fake Ollama)', () => {
  let app: UiApp;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let kbId: string;
  const kbName = `UI walk ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
  const R_DATA = corpusFile('R-data.pdf');
  const ZH = corpusFile('zhlipsum.pdf');

  beforeAll(async () => {
    app = await startApp();
    browser = await launchBrowser();
    ctx = await newContext(browser, { viewport: DESKTOP, locale: 'zh-CN' });
    page = await ctx.newPage();
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('serves the login page within the 400 KB gzipped-JS budget', async () => {
    const js = await measureJs(page, async () => {
      await page.goto(`${app.baseUrl}/login`, { waitUntil: 'networkidle' });
    });
    console.log(`login page JS: ${js.files} files, ${(js.gzipBytes / 1024).toFixed(1)} KB gzip`);
    expect(js.gzipBytes).toBeLessThanOrEqual(400 * 1024);
    await screenshot(page, 'desktop-01-login');
  });

  it('logs in', async () => {
    await login(page, app.baseUrl, app.adminEmail, app.adminPassword);
    await screenshot(page, 'desktop-02-knowledge-bases');
  });

  it('creates a knowledge base', async () => {
    kbId = await createKnowledgeBase(page, kbName, 'R-data.pdf + zhlipsum.pdf');
  });

  it('uploads R-data.pdf and a Chinese PDF through the dialog; both progress bars reach ready', async () => {
    const progress = await watchProgress(page);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'zhiku-ui-'));
    const big = path.join(tmp, 'too-big.pdf');
    writeFileSync(big, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(1536 * 1024, 32)]));
    const zip = path.join(tmp, 'archive.zip');
    writeFileSync(zip, 'PK\u0003\u0004');
    const verdicts = await uploadThroughDialog(page, [R_DATA, ZH, big, zip]);
    expect(verdicts['R-data.pdf'].verdict).toBe('accepted');
    expect(verdicts['zhlipsum.pdf'].verdict).toBe('accepted');
    // per-file rejections, in words: 413 from the server, wrong type refused before sending
    expect(verdicts['too-big.pdf'].verdict).toBe('rejected');
    expect(verdicts['too-big.pdf'].reason).toMatch(/文件过大|Too big/);
    expect(verdicts['archive.zip'].verdict).toBe('rejected');
    expect(verdicts['archive.zip'].reason).toMatch(/类型不支持|Wrong type/);
    await screenshot(page, 'desktop-03-upload-dialog');
    await closeDialog(page);
    await waitForReady(page, ['R-data.pdf', 'zhlipsum.pdf'], 240_000);
    const seen = await progress();
    console.log(`progress values shown: ${[...new Set(seen)].join(', ')}`);
    expect(seen.length).toBeGreaterThan(0); // the bars were on screen and updated from the events stream
    await screenshot(page, 'desktop-04-documents');

    // Same bytes again: the dialog says "duplicate" and no new row appears.
    const again = await uploadThroughDialog(page, [R_DATA]);
    expect(again['R-data.pdf'].verdict).toBe('duplicate');
    await closeDialog(page);
  }, 300_000);

  it('shows the chunks of a document with page numbers', async () => {
    await page.locator('[data-doc-name="R-data.pdf"] a.doc-name').click();
    await page.locator('[data-testid="chunk-card"]').first().waitFor();
    await expect(page.locator('[data-testid="chunk-card"]').first().innerText()).resolves.toMatch(/第 \d+|p\. \d+/);
    await screenshot(page, 'desktop-05-chunks');
  });

  it('runs a hit test that returns passages (English, and Chinese from the Chinese PDF)', async () => {
    const en = await runHitTest(page, kbId, app.baseUrl, 'read.table data frame');
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
    const zh = await runHitTest(page, kbId, app.baseUrl, zhQuery);
    expect(zh.count).toBeGreaterThan(0);
    expect(zh.marks.join('')).toMatch(/[\u4e00-\u9fff]/);
    await screenshot(page, 'desktop-06-hit-test');
  });

  it('shows the knowledge-base settings', async () => {
    await page.goto(`${app.baseUrl}/knowledge-bases/${kbId}/settings`);
    await page.locator(field('kb-prompt')).waitFor();
    await screenshot(page, 'desktop-07-kb-settings');
  });

  it('asks a question: the answer streams in, with a clickable citation that opens the source', async () => {
    const r = await ask(page, app.baseUrl, kbId, 'How do I read a CSV file into a data frame?');
    expect(r.answer.length).toBeGreaterThan(0);
    expect(r.sawPartial).toBe(true);
    expect(r.citations).toBeGreaterThan(0);
    await screenshot(page, 'desktop-08-chat');
    const c = await openFirstCitation(page);
    expect(c.doc).toMatch(/\.pdf$/);
    expect(c.snippet.length).toBeGreaterThan(0);
    await screenshot(page, 'desktop-09-citation');
    const popup = page.waitForEvent('popup');
    await page.locator('[data-testid="citation-open"]').click();
    const win = await popup;
    await win.waitForURL(/^blob:/);
    await win.close();
    await closeDialog(page);
    await page.locator('[data-testid="chat-trace"]').last().click();
    await page.locator('.el-drawer__body .sec').first().waitFor();
    await screenshot(page, 'desktop-10-trace');
    await page.keyboard.press('Escape');
  }, 180_000);

  it('shows the models, API keys, users and settings pages', async () => {
    await page.goto(`${app.baseUrl}/models`);
    await page.locator('[data-testid="ollama-status"] .el-tag').first().waitFor();
    await screenshot(page, 'desktop-11-models');
    await page.goto(`${app.baseUrl}/keys`);
    await page.locator('[data-testid="key-create"]').click();
    await page.locator(field('key-name')).fill('UI walk key');
    await page.locator('[data-testid="key-save"]').click();
    await expect(page.locator('[data-testid="key-secret"]').innerText()).resolves.toMatch(/^zk_/);
    await screenshot(page, 'desktop-12-api-keys');
    await page.keyboard.press('Escape');
    await page.goto(`${app.baseUrl}/users`);
    await page.locator('[data-testid="user-table"]').getByText(app.adminEmail).waitFor();
    await screenshot(page, 'desktop-13-users');
    await page.goto(`${app.baseUrl}/settings`);
    await page.locator('[data-testid="settings-lang"]').waitFor();
    await screenshot(page, 'desktop-14-settings');
  });

  it('switches the language', async () => {
    await page.goto(`${app.baseUrl}/knowledge-bases`);
    await expect(page.locator('[data-testid="nav-knowledge-bases"]').innerText()).resolves.toContain('知识库');
    await switchLanguage(page, 'en');
    await expect(page.locator('[data-testid="nav-knowledge-bases"]').innerText()).resolves.toContain('Knowledge bases');
    await screenshot(page, 'desktop-15-knowledge-bases-en');
    await page.goto(`${app.baseUrl}/knowledge-bases/${kbId}/documents`);
    await page.locator('[data-doc-name="R-data.pdf"]').waitFor();
    await screenshot(page, 'desktop-16-documents-en');
  });

  it('works at phone width without horizontal scrolling', async () => {
    const phoneCtx = await newContext(browser, { viewport: PHONE, locale: 'zh-CN', mobile: true });
    const phone = await phoneCtx.newPage();
    phone.setDefaultTimeout(20_000);
    try {
      await login(phone, app.baseUrl, app.adminEmail, app.adminPassword);
      for (const [url, selector, shot] of [
        ['/knowledge-bases', '[data-testid="kb-card"]', 'phone-01-knowledge-bases'],
        [`/knowledge-bases/${kbId}/documents`, '[data-doc-name="R-data.pdf"]', 'phone-02-documents'],
        [`/chat?kb=${kbId}`, field('chat-input'), 'phone-03-chat'],
      ]) {
        await phone.goto(`${app.baseUrl}${url}`);
        await phone.locator(selector).first().waitFor();
        expect({ url, scroll: await hasHorizontalScroll(phone) }).toEqual({ url, scroll: false });
        await screenshot(phone, shot);
      }
    } finally {
      await phoneCtx.close();
    }
  });
});
