import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * A real browser for the tests of Berth's pages: Debian's Chromium (installed by scripts/install-test-deps.sh),
 * driven through playwright-core, which brings no browser of its own and downloads none.
 */
export const chromiumPath = '/usr/bin/chromium';

/** Headless Chromium. `--no-sandbox`: the tests run as root, where Chromium's sandbox refuses to start. */
export async function launchBrowser(): Promise<Browser> {
  try {
    accessSync(chromiumPath, constants.X_OK);
  } catch {
    throw new Error(`no Chromium at ${chromiumPath}: run scripts/install-test-deps.sh, which installs Debian's chromium package`);
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'], timeout: 30_000 });
}
