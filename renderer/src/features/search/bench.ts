/**
 * Search benchmark over synthetic mail, for the benchmark suite (no timed assertions in
 * tests). In the app's page:
 *
 *   await window.petrelBenchmarkSearch(100_000)                 // the index in this thread
 *   await window.petrelBenchmarkSearch(100_000, { idb: true })  // + IndexedDB and the real worker
 *
 * (`window.petrelBenchmarkSearch` exists once the search feature has started; it loads this
 * module on first call.) The in-memory run measures tokenizing and indexing n headers and
 * each query's match + first page. With `idb`, n records go into a scratch database
 * (`petrel-bench-search-*`, deleted afterwards), the real search worker indexes it from
 * IndexedDB, and the queries are timed round trip (UI → worker → UI) as the app sees them.
 */
import { Dexie } from 'dexie';
import { toRecord } from '../../db/apply-deltas';
import { PetrelDb, type MessageRecord } from '../../db/schema';
import type { MessageHeader } from '../../../../shared/contract';
import { parseQuery } from './query';
import type { IndexStatus } from './protocol';
import { startSearchWorker, type SearchClient } from './search-client';
import { SearchIndex } from './search-index';
import { idbSnapshotStore } from './snapshot-store';

export interface QueryTiming {
  query: string;
  total: number;
  /** Median of the runs, ms. */
  ms: number;
  /** Slowest run, ms. */
  maxMs: number;
}

export interface SearchBenchResult {
  n: number;
  generateMs: number;
  index: { buildMs: number; docs: number; deadDocs: number; tokens: number; postings: number; sequenceUnits: number; usPerMessage: number };
  queries: QueryTiming[];
  idb?: {
    writeMs: number;
    /** Worker start to index ready, reading all n records from IndexedDB. */
    workerBuildMs: number;
    /** The worker's own figure for the scan. */
    workerReportedBuildMs: number | null;
    queries: (QueryTiming & { workerMs: number })[];
    /** Saving the index snapshot (in the worker). */
    snapshotSaveMs: number | null;
    /** A second worker on the same data: start to answers (from the snapshot), and to the check done. */
    restart: { answersMs: number; restoreMs: number | null; readyMs: number } | null;
  };
}

export interface SearchBenchOptions {
  /** Also write the records to a scratch IndexedDB and time the real worker (slow: ~10-30 s at 100k). */
  idb?: boolean;
  /** Runs per query (median reported). Default 7. */
  runs?: number;
  seed?: number;
  queries?: string[];
}

export const BENCH_QUERIES = [
  'budget',
  'budget review',
  'meet',
  'from:alice',
  'is:unread',
  'is:unread has:attachment',
  'project -invoice',
  '"quarterly report"',
  'отчет',
  '会議',
  'after:2023-06-01 before:2023-07-01',
  'xyzzy',
];

const WORDS = (
  'budget review meeting meet meetings notes project plan invoice report quarterly team lunch travel ' +
  'schedule agenda update release deadline contract offer proposal design feedback launch customer ' +
  'support ticket issue bug fix deploy server backup holiday party photos family weekend dinner ' +
  'flight hotel booking receipt order shipping delivery payment account password security newsletter ' +
  'sale discount webinar conference call interview hiring onboarding training workshop summary draft'
).split(' ');
const FOREIGN = ['отчет за квартал', 'встреча завтра', '会議の議事録', '東京出張について', 'réunion d’équipe', 'Grüße aus München'];
const NAMES = ['Alice Martin', 'Bob Stone', 'Carol Diaz', 'Dan Okafor', 'Eve Chen', 'Frank Müller', 'Grace Ito', 'Heidi Novak'];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n synthetic message records across 2 accounts and 4 folders each, over two years. */
export function syntheticMessages(n: number, seed = 1): MessageRecord[] {
  const r = rng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(r() * list.length)]!;
  const words = (k: number) => Array.from({ length: k }, () => pick(WORDS)).join(' ');
  const start = Date.UTC(2022, 6, 1);
  const span = 2 * 365 * 86_400_000;
  const paths = ['INBOX', 'Sent', 'Archive', 'Projects/Alpha'];
  const out: MessageRecord[] = [];
  const uids = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const accountId = i % 3 === 0 ? 'bench-b' : 'bench-a';
    const path = paths[Math.floor(r() * r() * paths.length)]!;
    const fk = `${accountId}/${path}`;
    const uid = (uids.get(fk) ?? 0) + 1;
    uids.set(fk, uid);
    const name = pick(NAMES);
    const address = `${name.split(' ')[0]!.toLowerCase()}@example.test`;
    const date = start + Math.floor(r() * span);
    const foreign = r() < 0.05 ? ` ${pick(FOREIGN)}` : '';
    const header: MessageHeader = {
      accountId,
      path,
      uid,
      uidValidity: '1',
      modseq: null,
      messageId: `<bench-${i}@example.test>`,
      inReplyTo: null,
      references: [],
      subject: `${r() < 0.3 ? 'Re: ' : ''}${words(3 + Math.floor(r() * 5))}${foreign}`,
      from: [{ name, address }],
      to: [{ name: 'Me', address: 'me@example.test' }],
      cc: r() < 0.2 ? [{ name: pick(NAMES), address: 'cc@example.test' }] : [],
      replyTo: [],
      date,
      internalDate: date,
      size: 2000 + Math.floor(r() * 50_000),
      flags: r() < 0.3 ? [] : r() < 0.1 ? ['\\Seen', '\\Flagged'] : ['\\Seen'],
      hasAttachments: r() < 0.15,
      preview: `${words(25 + Math.floor(r() * 15))}${foreign}`.slice(0, 200),
    };
    out.push(toRecord(header));
  }
  return out;
}

const now = () => performance.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const round = (x: number) => Math.round(x * 10) / 10;

export async function benchmarkSearch(n = 100_000, options: SearchBenchOptions = {}): Promise<SearchBenchResult> {
  const runs = options.runs ?? 7;
  const queries = options.queries ?? BENCH_QUERIES;
  const t = now();
  const records = syntheticMessages(n, options.seed ?? 1);
  const generateMs = now() - t;
  const result: SearchBenchResult = { n, generateMs: Math.round(generateMs), ...inMemory(records, queries, runs) };
  if (options.idb) {
    const name = `petrel-bench-search-${Date.now().toString(36)}`;
    try {
      const writeMs = await writeRecords(name, records);
      // Nothing of the in-memory run stays reachable: the page's heap is the app's again.
      records.length = 0;
      result.idb = { writeMs, ...(await benchmarkWorker(name, queries, runs)) };
    } finally {
      await Dexie.delete(name);
      const snapshots = idbSnapshotStore();
      await snapshots.delete(name).catch(() => undefined);
      snapshots.close();
    }
  }
  return result;
}

/** The index alone, in this thread. */
function inMemory(records: readonly MessageRecord[], queries: string[], runs: number): Pick<SearchBenchResult, 'index' | 'queries'> {
  const index = new SearchIndex();
  const t = now();
  for (const m of records) index.upsert(m);
  const buildMs = now() - t;
  const stats = index.stats();
  const timings: QueryTiming[] = [];
  for (const query of queries) {
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < runs; i++) {
      const s = now();
      const m = index.match(parseQuery(query), { folders: null, excludeFolders: null });
      index.newestFirst(m.docs, 50);
      times.push(now() - s);
      total = m.docs.length;
    }
    timings.push({ query, total, ms: round(median(times)), maxMs: round(Math.max(...times)) });
  }
  return { index: { buildMs: Math.round(buildMs), ...stats, usPerMessage: round((buildMs * 1000) / Math.max(1, records.length)) }, queries: timings };
}

async function writeRecords(name: string, records: readonly MessageRecord[]): Promise<number> {
  const db = new PetrelDb(name);
  try {
    const t = now();
    for (let i = 0; i < records.length; i += 5000) await db.messages.bulkPut(records.slice(i, i + 5000));
    return Math.round(now() - t);
  } finally {
    db.close();
  }
}

/** Resolves when the worker reports `phase` (or, with `restored`, a restored index). */
function whenStatus(client: SearchClient, done: (s: IndexStatus) => boolean): Promise<IndexStatus> {
  return new Promise((resolve, reject) => {
    const check = (s: IndexStatus) => {
      if (s.phase === 'failed') {
        off();
        reject(new Error(s.error ?? 'the search worker failed'));
      } else if (done(s)) {
        off();
        resolve(s);
      }
    };
    const off = client.onStatus(check);
    check(client.status);
  });
}

async function benchmarkWorker(name: string, queries: string[], runs: number): Promise<Omit<NonNullable<SearchBenchResult['idb']>, 'writeMs'>> {
  let t = now();
  let client = startSearchWorker(name);
  try {
    await whenStatus(client, (s) => s.phase === 'ready');
    const workerBuildMs = now() - t;
    const timings: (QueryTiming & { workerMs: number })[] = [];
    for (const query of queries) {
      const times: number[] = [];
      const inWorker: number[] = [];
      let total = 0;
      for (let i = 0; i < runs; i++) {
        const s = now();
        const page = await client.search(query);
        times.push(now() - s);
        inWorker.push(page.tookMs);
        total = page.total;
        // Another query between runs, so the worker's last-answer cache does not serve the next.
        await client.search(`${query} zz${i}`).catch(() => undefined);
      }
      timings.push({ query, total, ms: round(median(times)), maxMs: round(Math.max(...times)), workerMs: round(median(inWorker)) });
    }
    const workerReportedBuildMs = client.status.buildMs;
    const snapshotSaveMs = await client.flush();
    client.close();
    let restart: NonNullable<SearchBenchResult['idb']>['restart'] = null;
    if (snapshotSaveMs !== null) {
      t = now();
      client = startSearchWorker(name);
      const restored = await whenStatus(client, (s) => s.restored || s.phase === 'ready');
      const answersMs = now() - t;
      await whenStatus(client, (s) => s.phase === 'ready');
      restart = { answersMs: Math.round(answersMs), restoreMs: restored.restoreMs ?? null, readyMs: Math.round(now() - t) };
    }
    return { workerBuildMs: Math.round(workerBuildMs), workerReportedBuildMs, queries: timings, snapshotSaveMs, restart };
  } finally {
    client.close();
  }
}
