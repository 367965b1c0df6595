// Debian's chromium driven by puppeteer-core: one browser per test file; each page records every dialog, script
// error, console error and Content-Security-Policy violation, so a test can say none happened.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh (Debian package chromium)`);
  // --no-sandbox: tests run as root (CI), where chromium refuses its sandbox.
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export interface Watched {
  readonly page: Page;
  readonly dialogs: string[];
  readonly errors: string[];
  readonly consoleErrors: string[];
  /** CSP violations reported to the page (securitypolicyviolation events). */
  violations(): Promise<string[]>;
}

export async function watchedPage(browser: Browser): Promise<Watched> {
  const page = await browser.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  // Injected through the DevTools protocol, not the page: the page's CSP does not apply to it.
  await page.evaluateOnNewDocument(`window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`);
  return { page, dialogs, errors, consoleErrors, violations: () => inPage<string[]>(page, 'window.__csp') };
}

/** The value of a JavaScript expression in the page (the tests have no DOM types: the expression is text). */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}
