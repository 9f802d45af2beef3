/**
 * The page side of bench/unified-window.ts: INBOXes of the given sizes in the app's schema (dates
 * spread over the same months, so the accounts interleave), then windows of the unified inbox
 * read as the list reads them, timed.
 */
import { buildFolderAnchors, clearAnchors } from '../renderer/src/db/folder-anchors';
import { unifiedInbox } from '../renderer/src/db/queries';
import { PetrelDb, type FolderRecord, type MessageRecord } from '../renderer/src/db/schema';

const SPAN_MS = 3 * 365 * 86_400_000;
let db: PetrelDb | null = null;

function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

/** Writes the INBOXes; resolves the total. */
export async function setup(sizes: number[]): Promise<number> {
  db = new PetrelDb(`unified-window-${Date.now()}`);
  await db.open();
  const r = random(7);
  let total = 0;
  for (const [j, n] of sizes.entries()) {
    const accountId = `acct-${j}`;
    const folder: FolderRecord = {
      accountId,
      path: 'INBOX',
      name: 'INBOX',
      delimiter: '/',
      specialUse: null,
      subscribed: true,
      selectable: true,
      uidValidity: '1',
      total: n,
      unread: 0,
      cachedTotal: n,
      cachedUnread: 0,
      changes: n,
    } as unknown as FolderRecord;
    await db.folders.put(folder);
    for (let i = 0; i < n; i += 2000) {
      const batch: MessageRecord[] = [];
      for (let uid = i + 1; uid <= Math.min(n, i + 2000); uid++) {
        const date = 1.6e12 + Math.floor((uid / n) * SPAN_MS + r() * 3_600_000);
        batch.push({
          accountId,
          path: 'INBOX',
          uid,
          uidValidity: '1',
          modseq: null,
          messageId: `<${accountId}.${uid}@example.test>`,
          inReplyTo: null,
          references: [],
          subject: `Message ${uid} of ${accountId} about the quarterly budget review`,
          from: [{ name: `Person ${uid % 97}`, address: `p${uid % 97}@example.test` }],
          to: [{ name: 'Carol', address: 'carol@example.test' }],
          cc: [],
          replyTo: [],
          date,
          internalDate: date,
          size: 4000,
          flags: ['\\Seen'],
          hasAttachments: false,
          preview: 'the quarterly budget review meeting notes project update lunch invoice travel plan design draft schedule report release team offsite agenda',
          seen: 1,
          flagged: 0,
        } as MessageRecord);
      }
      await db.messages.bulkPut(batch);
    }
    total += n;
  }
  return total;
}

/** Reads every INBOX's anchors (`longestOnly`: the longest INBOX's); resolves the time it took. */
export async function anchors(longestOnly: boolean): Promise<number> {
  const d = db!;
  clearAnchors();
  const folders = (await d.folders.toArray()).sort((a, b) => b.cachedTotal - a.cachedTotal);
  const t0 = performance.now();
  for (const f of longestOnly ? folders.slice(0, 1) : folders) await buildFolderAnchors(d, f.accountId, f.path);
  return performance.now() - t0;
}

/**
 * Times each window (offset, 100 rows), `rounds` times each; resolves the times by offset.
 * `cold`: each window without anchors ('all': forgotten before it, and the background read it
 * asks for is left to finish before the next, as after a restart with no stored anchors), or
 * with only the longest INBOX's ('longest': as when All inboxes opens before the other
 * INBOXes' anchors were read).
 */
export async function windows(offsets: number[], rounds: number, cold: false | 'all' | 'longest'): Promise<Record<string, number[]>> {
  const d = db!;
  const out: Record<string, number[]> = {};
  for (let k = 0; k < rounds; k++) {
    for (const offset of offsets) {
      if (cold) {
        await new Promise((r) => setTimeout(r, 3000));
        clearAnchors();
        if (cold === 'longest') await anchors(true);
      }
      const t0 = performance.now();
      const rows = await unifiedInbox(d, { offset, limit: 100 });
      (out[offset] ??= []).push(performance.now() - t0);
      if (rows.length === 0) throw new Error(`no rows at ${offset}`);
    }
  }
  return out;
}

if (typeof window !== 'undefined') Object.assign(window, { unifiedBench: { setup, anchors, windows } });
