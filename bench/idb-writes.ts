/**
 * What writing the headers costs Chromium's IndexedDB alone, without the engine, the network
 * or the rest of the app: `npx tsx bench/idb-writes.ts [--size N] [--runs N]`.
 *
 * A page in Debian's Chromium (a fresh profile per run, like the app's) writes N synthetic
 * records of the app's shape through Dexie, 2,000 per transaction with relaxed durability as
 * the sync client does, with the app's schema and with fewer indexes, on Chromium's LevelDB
 * backend (its default) and on its SQLite one. Prints the wall time and the CPU of Chromium's
 * processes: the floor under `sync_100k_headers_ms`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser } from '../e2e/support/browser';
import { servePage } from './page-bundle';
import { cpuMeter } from './cpu';
import { SCHEMAS, backendArgs } from './idb-writes-page';
import { say } from './setup';
import { option } from './micro';

const BATCH = 2000;

async function main(): Promise<void> {
  const size = option('--size', 100_000);
  const runs = option('--runs', 2);
  const served = await servePage('bench/idb-writes-page.ts');
  try {
    say(`IndexedDB writes of ${size.toLocaleString('en-US')} records, ${BATCH} per transaction, ${runs} run(s) each`);
    say(['schema'.padEnd(20), 'wall ms'.padStart(8), 'browser CPU s'.padStart(14), 'renderer CPU s'.padStart(15)].join('  '));
    for (let r = 0; r < runs; r++) {
      for (const schema of Object.keys(SCHEMAS)) {
        const browser = await launchBrowser(backendArgs(schema));
        try {
          const page = await browser.context.newPage();
          await page.goto(served.url);
          const cpu = cpuMeter(() => ({ hostPid: null, dovecotTag: '-' }));
          const ms = await page.evaluate(([s, n, b]) => (window as unknown as { idbWrites(s: string, n: number, b: number): Promise<number> }).idbWrites(s, n, b), [schema, size, BATCH] as const);
          const used = cpu.stop();
          // A Chromium without the backend's feature ignores the flag: the row would measure LevelDB.
          const leveldb = fs.readdirSync(path.join(browser.profileDir, 'Default', 'IndexedDB')).some((f) => f.endsWith('.indexeddb.leveldb'));
          if (leveldb !== (backendArgs(schema).length === 0)) throw new Error(`${schema}: IndexedDB was ${leveldb ? '' : 'not '}stored in LevelDB`);
          const of = (prefix: string) => ((Object.entries(used).find(([k]) => k.startsWith(prefix))?.[1] ?? 0) / 1000).toFixed(1);
          say([schema.padEnd(20), String(Math.round(ms)).padStart(8), of('Chromium browser').padStart(14), of('Chromium renderer').padStart(15)].join('  '));
        } finally {
          await browser.close();
        }
      }
    }
  } finally {
    served.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
