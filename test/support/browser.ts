import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where browser tests put their screenshots. */
export const TEST_OUTPUT = new URL('../../test-output/', import.meta.url);

/**
 * Whether the browser tests can run: CI must (it fails without Chromium); elsewhere a missing
 * Chromium skips them, saying so.
 */
export function chromiumPresent(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${CHROMIUM} is missing: CI must run ${suite} (apt-get install chromium)`);
  }
  console.warn(`\n!!! SKIPPING ${suite}: no Chromium at ${CHROMIUM}\n`);
  return false;
}

/** Headless Chromium with nothing of its own on the network: what it fetches, a test asked. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
