import { chromium, type BrowserContext } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.PETREL_CHROMIUM ?? '/usr/bin/chromium';

/** No sandbox (root in a container), no GPU, and nothing that reaches for the network. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/**
 * Debian's Chromium with a fresh profile. HOME and XDG_* point into the temp profile
 * because Debian's Chromium writes into $HOME; the flags keep it off the network.
 */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<{ context: BrowserContext; profileDir: string; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'petrel-chromium-'));
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache') },
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    profileDir: join(dir, 'profile'),
    close: async () => {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
