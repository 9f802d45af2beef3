/**
 * The page side of bench/idb-writes.ts: writes synthetic message records (the app's record
 * shape, the corpus's share of replies) into IndexedDB through Dexie, with the app's schema or
 * with fewer indexes, in transactions of `batch` records as the sync client does.
 */
import { Dexie } from 'dexie';
import { PetrelDb } from '../renderer/src/db/schema';

export const SCHEMAS: Record<string, string | null> = {
  // null: the app's own schema (renderer/src/db/schema.ts).
  app: null,
  // Schema version 4's, with the unified inbox's index (dropped in version 5).
  'with inboxDate': '[accountId+path+uid], [accountId+path+date], inboxDate, messageId, *references',
  'date index only': '[accountId+path+uid], [accountId+path+date]',
  'primary key only': '[accountId+path+uid]',
  // The same as `app` and `primary key only`, in a Chromium started with BACKENDS' flags.
  'app, SQLite': null,
  'primary key, SQLite': '[accountId+path+uid]',
};

/**
 * Chromium's IndexedDB on SQLite (in development in Chromium; rolled out by Chrome to new
 * stores from 2026), for the rows named so. Not used by the app: in Debian's Chromium 156 the
 * flag hides and deletes a profile's existing LevelDB databases (see bench/analysis.md).
 */
export const BACKENDS: Record<string, readonly string[]> = { SQLite: ['--enable-features=IdbSqliteBackingStore'] };

/** The Chromium flags a row of SCHEMAS needs (its name ends with a BACKENDS key). */
export function backendArgs(schema: string): readonly string[] {
  const backend = Object.keys(BACKENDS).find((b) => schema.endsWith(`, ${b}`));
  return backend ? BACKENDS[backend]! : [];
}

const WORDS = 'the quarterly budget review meeting notes project update lunch invoice travel plan design draft schedule report release team offsite agenda contract renewal'.split(' ');

function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

function phrase(r: () => number, n: number): string {
  return Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
}

/** Records as toRecord (renderer/src/db/apply-deltas.ts) makes them, for one INBOX. */
export function records(n: number, inboxDate = false): Record<string, unknown>[] {
  const r = random(42);
  const out: Record<string, unknown>[] = [];
  for (let i = 1; i <= n; i++) {
    // The corpus (bench/corpus.ts): 69% without References, then 1, 2, 3, 4+ ids.
    const u = r();
    const depth = u < 0.69 ? 0 : u < 0.9 ? 1 : u < 0.965 ? 2 : u < 0.987 ? 3 : 4;
    const references = Array.from({ length: depth }, (_, k) => `<m${i - k - 1}.${Math.floor(r() * 1e9)}@corpus.example.test>`);
    const date = 1.7e12 + i * 60_000;
    out.push({
      accountId: 'Xk3b9QpL2m',
      path: 'INBOX',
      uid: i,
      uidValidity: '1732123456',
      modseq: String(1000 + i),
      messageId: `<m${i}.${Math.floor(r() * 1e9)}@corpus.example.test>`,
      inReplyTo: references.at(-1) ?? null,
      references,
      subject: (depth ? 'Re: ' : '') + phrase(r, 6),
      from: [{ name: `Person ${i % 97}`, address: `p${i % 97}@example.test` }],
      to: [{ name: 'Carol', address: 'carol@example.test' }],
      cc: r() < 0.3 ? [{ name: 'Dan', address: 'dan@example.test' }] : [],
      replyTo: [],
      date,
      internalDate: date,
      size: 2000 + Math.floor(r() * 50_000),
      flags: r() < 0.7 ? ['\\Seen'] : [],
      hasAttachments: r() < 0.2,
      preview: phrase(r, 30).slice(0, 200),
      seen: 1,
      flagged: 0,
      ...(inboxDate ? { inboxDate: date } : {}),
    });
  }
  return out;
}

/** Writes `n` records with the named schema; resolves the wall time of the writes alone. */
export async function write(schema: string, n: number, batch: number): Promise<number> {
  const all = records(n, schema === 'with inboxDate');
  const name = `idb-writes-${Date.now()}`;
  let db: Dexie;
  const stores = SCHEMAS[schema];
  if (stores === undefined) throw new Error(`unknown schema ${schema}`);
  if (stores === null) db = new PetrelDb(name);
  else {
    db = new Dexie(name, { chromeTransactionDurability: 'relaxed' });
    db.version(1).stores({ messages: stores });
  }
  await db.open();
  const table = db.table('messages');
  const t0 = performance.now();
  for (let i = 0; i < n; i += batch) await db.transaction('rw', table, () => table.bulkPut(all.slice(i, i + batch)));
  const ms = performance.now() - t0;
  db.close();
  return ms;
}

// Imported by bench/idb-writes.ts in Node for SCHEMAS: only the page gets the function.
if (typeof window !== 'undefined') (window as unknown as { idbWrites: typeof write }).idbWrites = write;
