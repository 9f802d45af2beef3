/**
 * What a window of the unified inbox costs in Chromium, without the rest of the app:
 * `npx tsx bench/unified-window.ts [--sizes 100000,10000,2000] [--rounds N]`.
 *
 * A page in Debian's Chromium writes INBOXes of the given sizes (the app's schema and record
 * shape), then reads windows of 100 rows at several offsets through `unifiedInbox`, as the
 * list does when it opens and when it jumps: without anchors (the longest INBOXes probed, once
 * per offset), with the longest INBOX's anchors only (once per offset) and with every INBOX's. Prints the median and the range per offset.
 */
import { launchBrowser } from '../e2e/support/browser';
import { servePage } from './page-bundle';
import { say } from './setup';
import { median } from './micro';

interface PageApi {
  unifiedBench: {
    setup(sizes: number[]): Promise<number>;
    anchors(longestOnly: boolean): Promise<number>;
    windows(offsets: number[], rounds: number, cold: false | 'all' | 'longest'): Promise<Record<string, number[]>>;
  };
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : (process.argv[i + 1] ?? dflt);
}

async function main(): Promise<void> {
  const sizes = arg('--sizes', '100000,10000,2000').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--sizes needs positive whole numbers');
  const rounds = Number(arg('--rounds', '5'));
  const served = await servePage('bench/unified-window-page.ts');
  const browser = await launchBrowser().catch((e: unknown) => {
    served.close();
    throw e;
  });
  try {
    const page = await browser.context.newPage();
    await page.goto(served.url);
    const total = await page.evaluate((s) => (window as unknown as PageApi).unifiedBench.setup(s), sizes);
    const offsets = [0, 100, Math.floor(total / 4 / 100) * 100, Math.floor(total / 2 / 100) * 100, total - 100];
    say(`Unified inbox windows of 100 rows over INBOXes of ${sizes.map((n) => n.toLocaleString('en-US')).join(' + ')} (${rounds} rounds)`);
    const show = (title: string, times: Record<string, number[]>) => {
      say(title);
      for (const offset of offsets) {
        const t = times[offset]!;
        say(`  offset ${String(offset).padStart(7)}: ${median(t).toFixed(1).padStart(7)} ms (${Math.min(...t).toFixed(1)}-${Math.max(...t).toFixed(1)})`);
      }
    };
    show('without anchors (the longest INBOXes probed), once each:', await page.evaluate((o) => (window as unknown as PageApi).unifiedBench.windows(o, 1, 'all'), offsets));
    show("with the longest INBOX's anchors only, once each:", await page.evaluate((o) => (window as unknown as PageApi).unifiedBench.windows(o, 1, 'longest'), offsets));
    const took = await page.evaluate(() => (window as unknown as PageApi).unifiedBench.anchors(false));
    show(`with every INBOX's anchors (read in ${Math.round(took)} ms):`, await page.evaluate(([o, k]) => (window as unknown as PageApi).unifiedBench.windows(o, k, false), [offsets, rounds] as const));
  } finally {
    await browser.close();
    served.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
