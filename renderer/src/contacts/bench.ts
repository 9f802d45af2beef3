/**
 * Contacts benchmark over synthetic mail, for the benchmark suite (no timed assertions in
 * tests). In the app's page: `await window.petrelBenchmarkContacts(100_000)`. n headers go into
 * a scratch database (`petrel-bench-contacts-*`, deleted afterwards); measured are the first
 * index pass over all of them (what a new install pays once, in the background), one more pass
 * with nothing new (what every sync batch triggers), the first read of the contacts into
 * memory, and suggestions per keystroke (median and slowest of `runs`).
 */
import type { Address } from '../../../shared/contract';
import { PetrelDb, type FolderRecord, type MessageRecord } from '../db/schema';
import { ContactBook } from './book';
import { indexContacts } from './indexer';

export interface ContactsBenchResult {
  n: number;
  contacts: number;
  writeMs: number;
  firstPassMs: number;
  idlePassMs: number;
  loadMs: number;
  keystrokes: { query: string; hits: number; ms: number; maxMs: number }[];
}

const FIRST = ['ann', 'bob', 'carla', 'dmitri', 'eva', 'farid', 'grace', 'hiro', 'ines', 'jon', 'kemal', 'lena', 'marco', 'nadia', 'oskar', 'priya'];
const LAST = ['archer', 'bell', 'costa', 'dubois', 'evans', 'fischer', 'garcia', 'hansen', 'ito', 'jensen', 'kowalski', 'lopez', 'meyer', 'novak'];
const DOMAINS = ['example.test', 'mail.example', 'corp.example', 'lists.example', 'uni.example'];
export const BENCH_KEYSTROKES = ['a', 'an', 'ann', 'ma', 'marco.', 'corp', 'zz'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n headers over INBOX, Archive and Sent; about n/10 distinct correspondents (at most 20k). */
export function syntheticMail(n: number, seed = 1): MessageRecord[] {
  const r = rng(seed);
  const people = Math.max(10, Math.min(20_000, Math.floor(n / 10)));
  const person = (i: number): Address => {
    const f = FIRST[i % FIRST.length]!;
    const l = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    return { name: `${f[0]!.toUpperCase()}${f.slice(1)} ${l[0]!.toUpperCase()}${l.slice(1)}`, address: `${f}.${l}${i}@${DOMAINS[i % DOMAINS.length]}` };
  };
  const me = { name: 'Me', address: 'me@example.test' };
  const uids = new Map<string, number>();
  const out: MessageRecord[] = [];
  for (let i = 0; i < n; i++) {
    const path = r() < 0.1 ? 'Sent' : r() < 0.7 ? 'INBOX' : 'Archive';
    const uid = (uids.get(path) ?? 0) + 1;
    uids.set(path, uid);
    // A few people write often: squaring skews the picks towards the low indexes.
    const other = person(Math.floor(r() * r() * people));
    const cc = r() < 0.2 ? [person(Math.floor(r() * people))] : [];
    const date = Date.UTC(2024, 0, 1) + Math.floor(r() * 700 * 86_400_000);
    out.push({
      accountId: 'bench-a',
      path,
      uid,
      uidValidity: '1',
      modseq: null,
      messageId: `<c${i}@example.test>`,
      inReplyTo: null,
      references: [],
      subject: `Message ${i}`,
      from: [path === 'Sent' ? me : other],
      to: [path === 'Sent' ? other : me],
      cc,
      replyTo: [],
      date,
      internalDate: date,
      size: 1000,
      flags: ['\\Seen'],
      hasAttachments: false,
      preview: '',
      seen: 1,
      flagged: 0,
    });
  }
  return out;
}

function folder(path: string, specialUse: FolderRecord['specialUse']): FolderRecord {
  return {
    accountId: 'bench-a', path, name: path, delimiter: '/', parentPath: null, specialUse, subscribed: true, selectable: true,
    total: 0, unread: 0, cachedTotal: 0, cachedUnread: 0, uidValidity: '1', listed: true,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchmarkContacts(n = 100_000, options: { runs?: number } = {}): Promise<ContactsBenchResult> {
  const runs = options.runs ?? 20;
  const db = new PetrelDb(`petrel-bench-contacts-${Date.now().toString(36)}`);
  try {
    let t = performance.now();
    const mail = syntheticMail(n);
    await db.folders.bulkPut([folder('INBOX', 'inbox'), folder('Archive', 'archive'), folder('Sent', 'sent')]);
    for (let i = 0; i < mail.length; i += 5000) await db.messages.bulkPut(mail.slice(i, i + 5000));
    const writeMs = performance.now() - t;
    t = performance.now();
    await indexContacts(db);
    const firstPassMs = performance.now() - t;
    t = performance.now();
    await indexContacts(db);
    const idlePassMs = performance.now() - t;
    const book = new ContactBook(db);
    t = performance.now();
    await book.suggest('a');
    const loadMs = performance.now() - t;
    const keystrokes = [];
    for (const query of BENCH_KEYSTROKES) {
      const times: number[] = [];
      let hits = 0;
      for (let i = 0; i < runs; i++) {
        const s = performance.now();
        hits = (await book.suggest(query)).length;
        times.push(performance.now() - s);
      }
      keystrokes.push({ query, hits, ms: median(times), maxMs: Math.max(...times) });
    }
    return { n, contacts: await db.contacts.count(), writeMs, firstPassMs, idlePassMs, loadMs, keystrokes };
  } finally {
    db.close();
    await db.delete();
  }
}
