/**
 * Initial sync of a 10k-message folder against the real test Dovecot: every message
 * arrives with the right flags and fields, newest first, the first batch fast; folders,
 * counts, cursors and on-demand bodies are right.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMailServersFromEnv, type MailServers } from '../../../e2e/mailserver/mailserver';
import type { SyncDelta } from '../../../shared/contract';
import { startEngine, until, waitInSync, type Harness } from './testing/harness';
import { bulkInsert, otherClient } from './testing/mail-store';
import { testMessage } from './testing/messages';

const COUNT = 10_000;
const flagsFor = (i: number) => [
  ...(i % 2 ? ['\\Seen'] : []),
  ...(i % 10 === 0 ? ['\\Flagged'] : []),
  ...(i % 7 === 0 ? ['\\Answered'] : []),
  ...(i % 50 === 0 ? ['\\Draft'] : []),
];

describe('initial sync', () => {
  let servers: MailServers;
  let client: ImapFlow;
  let h: Harness;
  const timeline: { at: number; delta: SyncDelta }[] = [];
  let startedAt = 0;

  beforeAll(async () => {
    servers = loadMailServersFromEnv();
    await servers.resetUser('alice');
    await bulkInsert(
      servers,
      'alice',
      'Big',
      Array.from({ length: COUNT }, (_, i) => ({ raw: testMessage(i, { folder: 'Big' }).raw, flags: flagsFor(i) })),
    );
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 20 }, (_, i) => ({ raw: testMessage(i, { folder: 'INBOX' }).raw })));
    client = await otherClient(servers, 'alice');
    h = startEngine(servers, 'alice');
    h.engine.onBatch((b) => {
      for (const delta of b.deltas) timeline.push({ at: Date.now() - startedAt, delta });
    });
    startedAt = Date.now();
    await h.engine.resume([]);
  });

  afterAll(async () => {
    await h?.close();
    await client?.logout();
  });

  it('holds every message of a 10k folder with the right flags, newest first', async () => {
    await waitInSync(h, client, ['INBOX', 'Big'], 40_000);
    const done = timeline.find((t) => t.delta.kind === 'cursor' && t.delta.cursor.path === 'Big' && t.delta.cursor.partialBelow === undefined)!.at;
    const firstBatch = timeline.find((t) => t.delta.kind === 'upsert' && t.delta.path === 'Big')!;
    const first = firstBatch.delta as Extract<SyncDelta, { kind: 'upsert' }>;
    process.stdout.write(`[sync] 10k initial sync: first 50 after ${firstBatch.at} ms, complete after ${done} ms\n`);
    // Newest first: the first delta starts with the 50 highest UIDs (the batcher may have
    // merged the next batch into it), and every later delta holds only older messages.
    const uids = [...h.model.messages(h.accountId, 'Big').keys()].sort((a, b) => b - a);
    const firstUids = first.messages.map((m) => m.uid).sort((a, b) => b - a);
    expect(firstUids.slice(0, 50)).toEqual(uids.slice(0, 50));
    const upserts = timeline.flatMap((t) => (t.delta.kind === 'upsert' && t.delta.path === 'Big' ? [t.delta.messages.map((m) => m.uid)] : []));
    const flat = upserts.flat();
    expect(flat.every((u, i) => i === 0 || u < flat[i - 1]!), `UIDs in arrival order: ${upserts.map((u) => `${u[0]}..${u[u.length - 1]}`).join(' ')}`).toBe(true);
    // Progressive: the first screenful arrives in a small batch, long before the folder is done
    // (how fast is measured by `npm run bench`, not asserted here).
    expect(first.messages.length).toBeLessThan(1000);
    expect(firstBatch.at).toBeLessThan(done);

    // A partial cursor after each batch but the last names the lowest UID stored so far, so a
    // restart continues from there (resume.int.test.ts); the final cursor carries none.
    let lowest = Infinity;
    let partials = 0;
    for (const t of timeline) {
      if (t.delta.kind === 'upsert' && t.delta.path === 'Big') lowest = Math.min(lowest, ...t.delta.messages.map((m) => m.uid));
      if (t.delta.kind === 'cursor' && t.delta.cursor.path === 'Big' && t.delta.cursor.partialBelow !== undefined) {
        expect(t.delta.cursor.partialBelow).toBe(lowest);
        partials++;
      }
    }
    expect(partials).toBeGreaterThan(1);

    // Reset before anything else for the folder, cursor last, progress to the end. The batcher
    // sends a cursor at once and the progress after it in the next batch (up to its flushMs
    // later), so the model can be in sync a moment before it says so.
    const big = timeline.filter((t) => 'path' in t.delta && t.delta.path === 'Big').map((t) => t.delta.kind);
    expect(big[0]).toBe('reset');
    await until('the final progress', () => h.model.progress.get(`${h.accountId}\u0000Big`)?.done === true, 2_000);
    const progress = h.model.progress.get(`${h.accountId}\u0000Big`);
    expect(progress).toMatchObject({ synced: COUNT, total: COUNT, done: true });
  });

  it('maps the list fields of every kind of message', async () => {
    const byId = new Map([...h.model.messages(h.accountId, 'Big').values()].map((m) => [m.messageId, m]));
    for (const i of [0, 1, 2, 3, 4, 9, 5000, COUNT - 1]) {
      const expected = testMessage(i, { folder: 'Big' });
      const m = byId.get(expected.messageId);
      expect(m, `message ${i}`).toBeDefined();
      expect(m).toMatchObject({
        accountId: h.accountId,
        path: 'Big',
        subject: expected.subject,
        from: [{ name: `Sender ${i % 7}`, address: `sender${i % 7}@example.test` }],
        to: [{ name: '', address: 'alice@example.test' }],
        date: expected.date.getTime(),
        hasAttachments: expected.hasAttachment,
        flags: flagsFor(i).sort(),
      });
      expect(m!.preview, `preview of message ${i}`).toBe(expected.text);
      expect(m!.modseq).toMatch(/^\d+$/);
      expect(m!.size).toBeGreaterThan(100);
      if (i % 4 === 0) expect(m!.cc).toEqual([{ name: 'Carol, C.', address: 'carol@example.test' }, { name: '', address: 'bob@example.test' }]);
      if (i > 0 && i % 3 === 0) {
        expect(m!.inReplyTo).toBe(`<m${i - 1}.Big@petrel.test>`);
        expect(m!.references).toEqual(['<m0.x@petrel.test>', `<m${i - 1}.Big@petrel.test>`]);
      } else {
        expect(m!.references).toEqual([]);
      }
    }
  });

  it('lists the folders with roles and counts, and reports the account online', async () => {
    const folders = h.model.folders.get(h.accountId)!;
    const roles = Object.fromEntries(folders.map((f) => [f.path, f.specialUse]));
    expect(roles).toEqual({ INBOX: 'inbox', Sent: 'sent', Drafts: 'drafts', Trash: 'trash', Junk: 'junk', Archive: 'archive', Big: null });
    const unseen = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % 2 === 0).length;
    await until('counts of Big', () => {
      const c = h.model.counts.get(`${h.accountId}\u0000Big`);
      return c?.total === COUNT && c.unread === unseen;
    });
    expect(h.engine.statuses()).toEqual([{ accountId: h.accountId, state: 'online' }]);
  });

  it('fetches bodies on demand, with attachment metadata', async () => {
    const byId = new Map([...h.model.messages(h.accountId, 'Big').values()].map((m) => [m.messageId, m]));
    const withFile = byId.get(testMessage(4, { folder: 'Big' }).messageId)!;
    const body = await h.engine.fetchBody({ accountId: h.accountId, path: 'Big', uidValidity: withFile.uidValidity, uid: withFile.uid });
    expect(body.text?.trim()).toBe('Hello number 4, this is the body text.');
    expect(body.html).toBeNull();
    expect(body.attachments).toEqual([
      { partId: '2', filename: 'report-4.pdf', contentType: 'application/pdf', size: 15, contentId: null, inline: false },
    ]);
    const html = byId.get(testMessage(1, { folder: 'Big' }).messageId)!;
    const b2 = await h.engine.fetchBody({ accountId: h.accountId, path: 'Big', uidValidity: html.uidValidity, uid: html.uid });
    expect(b2.html).toContain('<b>body</b>');
    // Opening a message does not mark it read (BODY.PEEK).
    await waitInSync(h, client, ['Big']);
    await expect(h.engine.fetchBody({ accountId: h.accountId, path: 'Big', uidValidity: '1', uid: html.uid })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(h.engine.fetchBody({ accountId: h.accountId, path: 'Big', uidValidity: html.uidValidity, uid: 999_999 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('fetches many bodies of a folder at once for offline reading, without marking them read', async () => {
    const messages = [...h.model.messages(h.accountId, 'Big').values()].sort((a, b) => b.uid - a.uid).slice(0, 120);
    const uidValidity = messages[0]!.uidValidity;
    const bodies = await h.engine.fetchBodies({ accountId: h.accountId, path: 'Big', uidValidity }, messages.map((m) => m.uid));
    expect(bodies.map((b) => b.uid).sort((a, b) => a - b)).toEqual(messages.map((m) => m.uid).sort((a, b) => a - b));
    for (const b of bodies) expect((b.text ?? b.html ?? '').length).toBeGreaterThan(0);
    await waitInSync(h, client, ['Big']);
    await expect(h.engine.fetchBodies({ accountId: h.accountId, path: 'Big', uidValidity: '1' }, [messages[0]!.uid])).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
