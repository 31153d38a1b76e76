import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { PageGlobals } from './page-globals';

/** Debian's Chromium (`apt-get install chromium`); playwright-core never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve(__dirname, '../../../test-output/screenshots');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 812 };

/**
 * The name the UI is opened by, as a LAN user opens http://<server>:3000: mapped to 127.0.0.1 inside
 * Chromium, so it is not loopback to the browser (no secure-context exemption, no upgrade exemption).
 */
export const REMOTE_HOST = 'zhiku.test';

/** The same server by its non-loopback name. */
export function remoteUrl(url: string): string {
  const u = new URL(url);
  u.hostname = REMOTE_HOST;
  return u.origin;
}

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumAvailable()) {
    throw new Error(
      `${CHROMIUM} is missing: install it with "apt-get install -y chromium" (and fonts-noto-cjk for Chinese)`,
    );
  }
  // playwright gives each launch a fresh temporary user-data-dir.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      `--host-resolver-rules=MAP ${REMOTE_HOST} 127.0.0.1`,
    ],
  });
}

export async function newContext(
  browser: Browser,
  opts: { viewport?: { width: number; height: number }; locale?: string; mobile?: boolean } = {},
): Promise<BrowserContext> {
  return browser.newContext({
    viewport: opts.viewport ?? DESKTOP,
    locale: opts.locale ?? 'zh-CN',
    isMobile: opts.mobile ?? false,
    hasTouch: opts.mobile ?? false,
    deviceScaleFactor: 1,
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  mkdirSync(path.dirname(file), { recursive: true });
  await page.waitForTimeout(250); // let transitions settle
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** True when the page is wider than the viewport (horizontal scrolling). */
export async function hasHorizontalScroll(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const { document, window } = globalThis as unknown as PageGlobals;
    return document.documentElement.scrollWidth > window.innerWidth + 1;
  });
}

/** Gzipped bytes of every JavaScript file the page downloads while `action` runs. */
export async function measureJs(
  page: Page,
  action: () => Promise<void>,
): Promise<{ files: number; gzipBytes: number; rawBytes: number }> {
  const seen = new Map<string, Promise<Buffer | null>>();
  const onResponse = (res: import('playwright-core').Response) => {
    const type = res.headers()['content-type'] ?? '';
    if (res.request().resourceType() === 'script' || /javascript/.test(type)) {
      if (!seen.has(res.url()))
        seen.set(
          res.url(),
          res.body().catch(() => null),
        );
    }
  };
  page.on('response', onResponse);
  try {
    await action();
  } finally {
    page.off('response', onResponse);
  }
  let gzipBytes = 0;
  let rawBytes = 0;
  for (const body of await Promise.all(seen.values())) {
    if (!body) continue;
    rawBytes += body.length;
    gzipBytes += gzipSync(body, { level: 9 }).length;
  }
  return { files: seen.size, gzipBytes, rawBytes };
}

/**
 * Watches every request of a browser context: each must stay on one of `origins` over the same scheme
 * (never upgraded to https://, never sent elsewhere), none may fail other than by the page leaving it
 * (an event stream closed by navigation), and the page may report no Content-Security-Policy violation.
 * Returns the problems seen so far.
 */
export function guardRequests(ctx: BrowserContext, origins: string[]): () => string[] {
  const problems: string[] = [];
  const allowed = (url: string): boolean =>
    // chrome-extension: and chrome: are Chromium's own PDF viewer (and its resources), which shows the cited page.
    /^(data|blob|chrome-extension|chrome):/.test(url) || origins.some((o) => url === o || url.startsWith(`${o}/`));
  ctx.on('request', (req) => {
    if (!allowed(req.url())) problems.push(`request to ${req.url()}`);
  });
  ctx.on('requestfailed', (req) => {
    const reason = req.failure()?.errorText ?? 'failed';
    if (reason !== 'net::ERR_ABORTED') problems.push(`${req.url()} failed: ${reason}`);
  });
  ctx.on('console', (msg) => {
    if (/Content Security Policy|Refused to (load|connect|execute|apply|frame)|Mixed Content/i.test(msg.text())) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  return () => [...problems];
}
