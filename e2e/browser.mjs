// Debian's Chromium driven by playwright-core: no browser download, flags for a closed network.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export const BASE_URL = process.env.E2E_BASE_URL ?? 'http://localhost:7007';
export const SCREENSHOTS = process.env.E2E_SCREENSHOTS ?? path.resolve('.dev/screenshots');

export async function openBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A signed-in page (the guest provider signs in as whoever this backend's config names). */
export async function signedInPage(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('pageerror', error => errors.push(String(error)));
  await page.goto(`${BASE_URL}${url}`);
  await page.getByRole('button', { name: /enter/i }).click({ timeout: 60_000 });
  return { page, errors };
}

export async function screenshot(page, name, locator) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await (locator ?? page).screenshot({ path: file, ...(locator ? {} : { fullPage: true }) });
  return file;
}
