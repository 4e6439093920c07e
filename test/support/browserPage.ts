// Browser code on a page of its own, in Debian's Chromium through playwright-core: the webview
// tests (test/browser) and the chart benchmark bundle an entry with esbuild and open it.
import * as esbuild from 'esbuild';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env['RUNLOG_CHROMIUM'] ?? '/usr/bin/chromium';

export interface BrowserPage {
  readonly browser: Browser;
  readonly page: Page;
  /** Uncaught errors of the page so far. */
  readonly errors: string[];
  readonly close: () => Promise<void>;
}

/** Bundles `entry` (and the CSS it imports) into a page and opens it in a fresh Chromium. */
export async function openBundledPage(
  entry: string,
  options: { minify?: boolean; viewport?: { width: number; height: number } } = {},
): Promise<BrowserPage> {
  const dir = await mkdtemp(join(tmpdir(), 'runlog-page-'));
  await esbuild.build({
    entryPoints: { page: entry },
    bundle: true,
    minify: options.minify ?? false,
    outdir: dir,
    platform: 'browser',
    format: 'iife',
    logLevel: 'warning',
  });
  await writeFile(
    join(dir, 'index.html'),
    '<!DOCTYPE html><html><head><link rel="stylesheet" href="page.css"></head><body><script src="page.js"></script></body></html>',
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(pathToFileURL(join(dir, 'index.html')).href);
  return {
    browser,
    page,
    errors,
    close: async () => {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
