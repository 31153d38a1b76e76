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
