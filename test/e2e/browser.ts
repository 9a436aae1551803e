/**
 * Chromium for the end-to-end tests that drive a UI (kiosk.test.ts: the till; miniprogram.test.ts: the
 * mini-program's H5 build): launching it headless with a context and a page, collecting the page's
 * errors, and the screenshots kept in test/artifacts/<suite>/<dialect>/ (gitignored).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { ROOT } from './support.js';

export const DIALECT = process.env.JIFEN_TEST_MYSQL_URL ? 'mysql' : 'sqlite';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserPage {
  browser: Browser;
  context: BrowserContext;
  page: Page;
}

/**
 * The system's Chromium, headless, with one context (15 s default timeout) and one page. Uncaught
 * errors on the page are pushed to `pageErrors`, and with `consoleErrors` the console's errors too.
 * `onBrowser` is given the browser as soon as it runs, so that an afterAll can close it even when a
 * later step fails.
 */
export async function launchPage(
  contextOptions: BrowserContextOptions,
  pageErrors: string[],
  { consoleErrors = false, onBrowser }: { consoleErrors?: boolean; onBrowser?: (browser: Browser) => void } = {},
): Promise<BrowserPage> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  onBrowser?.(browser);
  const context = await browser.newContext(contextOptions);
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  if (consoleErrors) {
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  }
  return { browser, context, page };
}

/** A suite's screenshots: test/artifacts/<suite>/<dialect>/, numbered in the order they are taken. */
export interface Screenshots {
  dir: string;
  /** Empties the folder (run once, before the suite). */
  reset(): void;
  /** The path of the next screenshot: `NN-<name>.png`. */
  next(name: string): string;
  /** For afterEach: the page as a failed test left it, as `failed-<test name>.png`. */
  ifFailed(ctx: { task: { name: string; result?: { state: string } } }, page: Page | undefined): Promise<void>;
}

export function screenshots(suite: string): Screenshots {
  const dir = join(ROOT, 'test', 'artifacts', suite, DIALECT);
  let count = 0;
  return {
    dir,
    reset() {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    },
    next: (name) => join(dir, `${String(++count).padStart(2, '0')}-${name}.png`),
    async ifFailed(ctx, page) {
      if (ctx.task.result?.state === 'fail' && page) {
        await page.screenshot({ path: join(dir, `failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`) });
      }
    },
  };
}
