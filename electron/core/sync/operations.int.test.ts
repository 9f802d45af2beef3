/**
 * Message operations against the real test Dovecot: each kind changes exactly what it should
 * on the server (checked with an independent client, by Message-ID), the engine's deltas
 * bring the reference renderer in step right after, retries are idempotent, a stale
 * UIDVALIDITY is a CONFLICT, and nothing but the operation's own messages is ever expunged
 * (a message another program marked \Deleted survives every removal), with MOVE, without
 * MOVE (COPY + UID EXPUNGE) and without MOVE and UIDPLUS.
 */
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imapCapabilityWithout, loadMailServersFromEnv, startMailServers, type MailServers } from '../../../e2e/mailserver/mailserver';
import type { CertificatePin, Operation, OperationDraft } from '../../../shared/contract';
import { OperationSchema } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { OpMemo } from './op-memo';
import { startEngine, until, waitInSync, type Harness } from './testing/harness';
import { bulkInsert, otherClient, testAccount } from './testing/mail-store';
import { testMessage } from './testing/messages';

const FOLDERS = ['INBOX', 'Projects', 'Elsewhere', 'Archive', 'Trash', 'Junk'];

let opCount = 0;
function op(o: OperationDraft): Operation {
  return OperationSchema.parse({ opId: `op-test-${Date.now().toString(36)}-${++opCount}`, ...o });
}

/** Message-ID → sorted flags (without \Recent) of a folder, as the server has it now. */
async function serverIds(client: ImapFlow, path: string): Promise<Map<string, string[]>> {
  const mb = await client.mailboxOpen(path, { readOnly: true });
  const out = new Map<string, string[]>();
  try {
    if (mb.exists > 0) {
      for await (const m of client.fetch('1:*', { uid: true, flags: true, envelope: true })) {
        out.set(m.envelope?.messageId ?? `uid:${m.uid}`, [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort());
      }
    }
  } finally {
    await client.mailboxClose();
  }
  return out;
}

async function expectRejected(p: Promise<unknown>, code: string): Promise<PetrelError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PetrelError);
  expect((e as PetrelError).code).toBe(code);
  return e as PetrelError;
}

/** The model's UID of the message with this Message-ID in a folder. */
function uidOf(h: Harness, path: string, messageId: string): number {
  const m = [...h.model.messages(h.accountId, path).values()].find((x) => x.messageId === messageId);
  if (!m) throw new Error(`${messageId} is not in the model's ${path}`);
  return m.uid;
}

function uidValidityOf(h: Harness, path: string): string {
  const c = h.model.cursor(h.accountId, path);
  if (!c) throw new Error(`no cursor for ${path}`);
  return c.uidValidity;
}

const id = (i: number, folder: string) => testMessage(i, { folder }).messageId;

describe('message operations (Dovecot with MOVE and UIDPLUS)', () => {
  let servers: MailServers;
  let other: ImapFlow;
  let h: Harness;
  const ref = (path: string) => ({ accountId: h.accountId, path, uidValidity: uidValidityOf(h, path) });

  beforeAll(async () => {
    servers = loadMailServersFromEnv();
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 12 }, (_, i) => ({ raw: testMessage(i, { folder: 'I' }).raw })));
    await bulkInsert(servers, 'alice', 'Projects', Array.from({ length: 6 }, (_, i) => ({ raw: testMessage(i, { folder: 'P' }).raw, flags: ['\\Seen'] })));
    await bulkInsert(servers, 'alice', 'Elsewhere', []);
    other = await otherClient(servers, 'alice');
    h = startEngine(servers, 'alice');
    await h.engine.resume([]);
    await waitInSync(h, other, FOLDERS);
  });

  afterAll(async () => {
    await h?.close();
    await other?.logout().catch(() => undefined);
  });

  it('flags: adds and removes \\Seen, \\Flagged and keywords; the deltas confirm it', async () => {
    const uids = [id(0, 'I'), id(1, 'I')].map((m) => uidOf(h, 'INBOX', m));
    const r = await h.engine.runOperation(op({ kind: 'flags', ...ref('INBOX'), uids, add: ['\\Seen', '\\Flagged', '$Label1'] }));
    expect(r).toMatchObject({ to: null, removed: false, replayed: false });
    let server = await serverIds(other, 'INBOX');
    expect(server.get(id(0, 'I'))).toEqual(['$Label1', '\\Flagged', '\\Seen']);
    expect(server.get(id(1, 'I'))).toEqual(['$Label1', '\\Flagged', '\\Seen']);
    expect(server.get(id(2, 'I'))).toEqual([]);
    await waitInSync(h, other, ['INBOX'], 5000);

    await h.engine.runOperation(op({ kind: 'flags', ...ref('INBOX'), uids: uids.slice(0, 1), remove: ['\\Seen', '$Label1'] }));
    server = await serverIds(other, 'INBOX');
    expect(server.get(id(0, 'I'))).toEqual(['\\Flagged']);
    await waitInSync(h, other, ['INBOX'], 5000);
    // In a folder the worker syncs, too (not only INBOX, which has its own connection).
    await h.engine.runOperation(op({ kind: 'flags', ...ref('Projects'), uids: [uidOf(h, 'Projects', id(0, 'P'))], remove: ['\\Seen'] }));
    expect((await serverIds(other, 'Projects')).get(id(0, 'P'))).toEqual([]);
    await waitInSync(h, other, ['Projects'], 5000);
  });

  it('move: the messages leave the source and arrive in the destination (UID MOVE, COPYUID map)', async () => {
    const uids = [id(2, 'I'), id(3, 'I')].map((m) => uidOf(h, 'INBOX', m));
    const r = await h.engine.runOperation(op({ kind: 'move', ...ref('INBOX'), uids, to: 'Elsewhere' }));
    expect(r).toMatchObject({ to: 'Elsewhere', removed: true });
    expect(r.toUidValidity).toBe(uidValidityOf(h, 'Elsewhere'));
    expect(r.uidMap.map(([from]) => from).sort()).toEqual([...uids].sort());
    const inbox = await serverIds(other, 'INBOX');
    const elsewhere = await serverIds(other, 'Elsewhere');
    expect(inbox.has(id(2, 'I'))).toBe(false);
    expect(elsewhere.has(id(2, 'I')) && elsewhere.has(id(3, 'I'))).toBe(true);
    await waitInSync(h, other, ['INBOX', 'Elsewhere'], 5000);
  });

  it('copy: the messages stay and a copy arrives; a retry with the same opId copies nothing more', async () => {
    const uids = [uidOf(h, 'Projects', id(1, 'P'))];
    const copy = op({ kind: 'copy', ...ref('Projects'), uids, to: 'Elsewhere' });
    const first = await h.engine.runOperation(copy);
    expect(first).toMatchObject({ to: 'Elsewhere', removed: false, replayed: false });
    const again = await h.engine.runOperation(copy);
    expect(again).toEqual({ ...first, replayed: true });
    expect((await serverIds(other, 'Projects')).has(id(1, 'P'))).toBe(true);
    const elsewhere = await serverIds(other, 'Elsewhere');
    expect(elsewhere.get(id(1, 'P'))).toEqual(['\\Seen']);
    expect(elsewhere.size).toBe(3);
    await waitInSync(h, other, ['Projects', 'Elsewhere'], 5000);
    // The same opId for another operation is refused.
    await expectRejected(h.engine.runOperation({ ...copy, to: 'Archive' } as Operation), 'BAD_REQUEST');
  });

  it('delete: moves to Trash', async () => {
    const uid = uidOf(h, 'INBOX', id(4, 'I'));
    expect(await h.engine.runOperation(op({ kind: 'delete', ...ref('INBOX'), uids: [uid] }))).toMatchObject({ to: 'Trash', removed: true });
    expect((await serverIds(other, 'INBOX')).has(id(4, 'I'))).toBe(false);
    expect((await serverIds(other, 'Trash')).has(id(4, 'I'))).toBe(true);
    await waitInSync(h, other, ['INBOX', 'Trash'], 5000);
  });

  it('delete for good in Trash removes only its own messages', async () => {
    // Another program marks a message in Trash \Deleted and leaves it there (no expunge).
    await h.engine.runOperation(op({ kind: 'delete', ...ref('INBOX'), uids: [uidOf(h, 'INBOX', id(6, 'I'))] }));
    await waitInSync(h, other, ['INBOX', 'Trash'], 5000);
    await other.mailboxOpen('Trash');
    const marked = await other.search({ header: { 'message-id': id(6, 'I') } }, { uid: true });
    expect(Array.isArray(marked) && marked.length === 1).toBe(true);
    await other.messageFlagsAdd((marked as number[]).join(','), ['\\Deleted'], { uid: true });
    // Leave without expunging.
    await other.mailboxOpen('Trash', { readOnly: true });
    await other.mailboxClose();
    await waitInSync(h, other, ['Trash'], 5000);

    const r = await h.engine.runOperation(op({ kind: 'delete', ...ref('Trash'), uids: [uidOf(h, 'Trash', id(4, 'I'))] }));
    expect(r).toMatchObject({ to: null, removed: true });
    const trash = await serverIds(other, 'Trash');
    expect(trash.has(id(4, 'I'))).toBe(false);
    expect(trash.get(id(6, 'I'))).toEqual(['\\Deleted']);
    await waitInSync(h, other, ['Trash'], 5000);
  });

  it('archive and spam: to the special folders; spam sets $Junk', async () => {
    const a = uidOf(h, 'INBOX', id(7, 'I'));
    expect(await h.engine.runOperation(op({ kind: 'archive', ...ref('INBOX'), uids: [a] }))).toMatchObject({ to: 'Archive', removed: true });
    expect((await serverIds(other, 'Archive')).has(id(7, 'I'))).toBe(true);
    // Archiving in Archive does nothing.
    const again = await h.engine.runOperation(op({ kind: 'archive', ...ref('Archive'), uids: [1] }));
    expect(again).toMatchObject({ to: null, removed: false });

    const s = uidOf(h, 'INBOX', id(8, 'I'));
    expect(await h.engine.runOperation(op({ kind: 'spam', ...ref('INBOX'), uids: [s] }))).toMatchObject({ to: 'Junk', removed: true });
    const junk = await serverIds(other, 'Junk');
    expect(junk.get(id(8, 'I'))).toEqual(['$Junk']);
    expect((await serverIds(other, 'INBOX')).has(id(8, 'I'))).toBe(false);
    await waitInSync(h, other, ['INBOX', 'Archive', 'Junk'], 5000);
  });

  it('refuses a stale UIDVALIDITY with CONFLICT and a missing folder with NOT_FOUND, changing nothing', async () => {
    const before = await serverIds(other, 'INBOX');
    const uid = uidOf(h, 'INBOX', id(9, 'I'));
    await expectRejected(h.engine.runOperation(op({ kind: 'delete', accountId: h.accountId, path: 'INBOX', uidValidity: '1', uids: [uid] })), 'CONFLICT');
    await expectRejected(h.engine.runOperation(op({ kind: 'move', ...ref('INBOX'), uids: [uid], to: 'Nowhere' })), 'NOT_FOUND');
    expect(await serverIds(other, 'INBOX')).toEqual(before);
    await expectRejected(
      h.engine.runOperation(op({ kind: 'flags', accountId: 'acct-nobody', path: 'INBOX', uidValidity: '1', uids: [1], add: ['\\Seen'] })),
      'NOT_FOUND',
    );
  });

  it('runs ahead of a long initial sync on the same connection', async () => {
    const total = 6000;
    await bulkInsert(servers, 'alice', 'Big', Array.from({ length: total }, (_, i) => ({ raw: testMessage(1000 + i, { folder: 'B' }).raw })));
    await until('the initial sync of Big to start', () => h.model.messages(h.accountId, 'Big').size > 0, 20_000);
    const uid = uidOf(h, 'Projects', id(2, 'P'));
    await h.engine.runOperation(op({ kind: 'flags', ...ref('Projects'), uids: [uid], add: ['\\Flagged'] }));
    // Answered between two batches, long before the folder was synced to the end.
    const bigWhenAnswered = h.model.messages(h.accountId, 'Big').size;
    expect(bigWhenAnswered).toBeLessThan(total);
    expect((await serverIds(other, 'Projects')).get(id(2, 'P'))).toEqual(['\\Flagged', '\\Seen']);
    await waitInSync(h, other, ['Projects'], 10_000);
    await waitInSync(h, other, ['Big'], 60_000);
    process.stdout.write(`[ops] answered with ${bigWhenAnswered} of ${total} messages of an initial sync done\n`);
  }, 120_000);
  it('a copy cut off after the COPY went out is not made twice after a restart (journal, then Message-IDs)', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'petrel-opjournal-'));
    const file = join(dir, 'operations.json');
    const ids = [id(5, 'I'), id(10, 'I'), id(11, 'I')];
    const uids = ids.map((m) => uidOf(h, 'INBOX', m));
    const copy = op({ kind: 'copy', ...ref('INBOX'), uids, to: 'Elsewhere' });
    // The engine's first life: the copy is journaled, two of the three messages reach the
    // destination, and the engine dies before it learns the outcome.
    await expectRejected(
      new OpMemo({ file }).run(copy, async () => {
        await other.mailboxOpen('INBOX');
        expect(await other.messageCopy(uids.slice(0, 2).join(','), 'Elsewhere', { uid: true })).toBeTruthy();
        await other.mailboxClose();
        throw new PetrelError('DISCONNECTED', 'killed mid-copy');
      }),
      'DISCONNECTED',
    );
    const h2 = startEngine(servers, 'alice', { opJournalFile: file });
    try {
      await h2.engine.resume([]);
      await waitInSync(h2, other, ['INBOX', 'Elsewhere']);
      const r = await h2.engine.runOperation(copy);
      expect(r).toMatchObject({ to: 'Elsewhere', removed: false, replayed: false });
      expect(r.uidMap.map(([src]) => src)).toEqual([...uids].sort((a, b) => a - b));
      const counts = await messageIdCounts(other, 'Elsewhere');
      expect(ids.map((m) => counts.get(m))).toEqual([1, 1, 1]);
      expect((await h2.engine.runOperation(copy)).replayed).toBe(true);
    } finally {
      await h2.close();
    }
    // A third life answers from the journal without going to the server.
    const h3 = startEngine(servers, 'alice', { opJournalFile: file });
    try {
      await h3.engine.resume([]);
      await waitInSync(h3, other, ['INBOX', 'Elsewhere']);
      expect(await h3.engine.runOperation(copy)).toMatchObject({ replayed: true, uidMap: expect.any(Array) });
    } finally {
      await h3.close();
    }
    const counts2 = await messageIdCounts(other, 'Elsewhere');
    expect(ids.map((m) => counts2.get(m))).toEqual([1, 1, 1]);
    await fs.rm(dir, { recursive: true, force: true });
  });
});

/** How many messages of a folder carry each Message-ID (a duplicate counts twice). */
async function messageIdCounts(client: ImapFlow, path: string): Promise<Map<string, number>> {
  const mb = await client.mailboxOpen(path, { readOnly: true });
  const out = new Map<string, number>();
  try {
    if (mb.exists > 0) {
      for await (const m of client.fetch('1:*', { uid: true, envelope: true })) {
        const key = m.envelope?.messageId ?? `uid:${m.uid}`;
        out.set(key, (out.get(key) ?? 0) + 1);
      }
    }
  } finally {
    await client.mailboxClose();
  }
  return out;
}

/** The server's own certificate as a pin: a separate instance has its own test CA. */
function pinFor(host: string, port: number): Promise<CertificatePin> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: host, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      if (!cert) return reject(new Error('no certificate'));
      resolve({ host, port, fingerprint256: cert.fingerprint256, certPem: cert.toString() });
    });
    socket.once('error', reject);
  });
}

describe('message operations on a server without MOVE (then without UIDPLUS too)', () => {
  let servers: MailServers;
  let other: ImapFlow;
  let h: Harness;
  const ref = (path: string) => ({ accountId: h.accountId, path, uidValidity: uidValidityOf(h, path) });

  /** Marks a message of `path` \Deleted as another program would, without expunging. */
  async function markDeletedElsewhere(path: string, messageId: string): Promise<void> {
    await other.mailboxOpen(path);
    const uids = await other.search({ header: { 'message-id': messageId } }, { uid: true });
    expect(Array.isArray(uids) && uids.length).toBe(1);
    await other.messageFlagsAdd((uids as number[]).join(','), ['\\Deleted'], { uid: true });
    await other.mailboxOpen(path, { readOnly: true });
    await other.mailboxClose();
  }

  beforeAll(async () => {
    const dir = await fs.mkdtemp('/var/tmp/pops-');
    servers = await startMailServers({ dir, imapCapability: imapCapabilityWithout(['MOVE']), users: [{ name: 'alice' }] });
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 10 }, (_, i) => ({ raw: testMessage(i, { folder: 'I' }).raw })));
    await bulkInsert(servers, 'alice', 'Elsewhere', []);
    other = await otherClient(servers, 'alice');
    expect(other.capabilities.has('MOVE')).toBe(false);
    const account = testAccount(servers, 'alice');
    account.account = { ...account.account, pins: [await pinFor(servers.host, servers.imap.tlsPort)] };
    h = startEngine(servers, 'alice', { account });
    await h.engine.resume([]);
    await waitInSync(h, other, ['INBOX', 'Elsewhere', 'Trash']);
  }, 90_000);

  afterAll(async () => {
    await h?.close();
    await other?.logout().catch(() => undefined);
    await servers?.stop();
  });

  it('moves with COPY, \\Deleted and UID EXPUNGE, leaving other \\Deleted messages alone', async () => {
    await markDeletedElsewhere('INBOX', id(9, 'I'));
    const uids = [id(0, 'I'), id(1, 'I')].map((m) => uidOf(h, 'INBOX', m));
    const r = await h.engine.runOperation(op({ kind: 'move', ...ref('INBOX'), uids, to: 'Elsewhere' }));
    expect(r).toMatchObject({ to: 'Elsewhere', removed: true });
    const inbox = await serverIds(other, 'INBOX');
    expect(inbox.has(id(0, 'I')) || inbox.has(id(1, 'I'))).toBe(false);
    expect(inbox.get(id(9, 'I'))).toEqual(['\\Deleted']);
    expect([...(await serverIds(other, 'Elsewhere')).keys()].sort()).toEqual([id(0, 'I'), id(1, 'I')].sort());
    await waitInSync(h, other, ['INBOX', 'Elsewhere'], 10_000);

    expect(await h.engine.runOperation(op({ kind: 'delete', ...ref('INBOX'), uids: [uidOf(h, 'INBOX', id(2, 'I'))] }))).toMatchObject({
      to: 'Trash',
      removed: true,
    });
    expect((await serverIds(other, 'Trash')).has(id(2, 'I'))).toBe(true);
    expect((await serverIds(other, 'INBOX')).get(id(9, 'I'))).toEqual(['\\Deleted']);
    await waitInSync(h, other, ['INBOX', 'Trash'], 10_000);
  });

  it('without UIDPLUS, expunges only when no other message is marked \\Deleted', async () => {
    // Running sessions outlive a restart of Dovecot's master: end them too, so every
    // connection is made anew and sees the reduced capabilities.
    const login = servers.user('alice').login;
    const pids = (await servers.doveadm(['who', '-1', login]))
      .split('\n')
      .filter((l) => l.startsWith(login))
      .map((l) => Number(l.trim().split(/\s+/)[2]))
      .filter((p) => p > 1);
    const states: string[] = [];
    const off = h.engine.onStatus((s) => states.push(s[0]?.state ?? ''));
    await other.logout().catch(() => undefined);
    const restarted = servers.restartDovecot({ imapCapability: imapCapabilityWithout(['MOVE', 'UIDPLUS']) });
    await new Promise((r) => setTimeout(r, 20));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Gone already (the session of the client that just logged out).
      }
    }
    await restarted;
    other = await otherClient(servers, 'alice');
    expect(other.capabilities.has('UIDPLUS')).toBe(false);
    await until('the account back online', () => states.includes('connecting') && h.engine.statuses()[0]?.state === 'online', 20_000);
    off();
    await waitInSync(h, other, ['INBOX', 'Elsewhere'], 10_000);

    // Message 9 is still marked \Deleted: a plain EXPUNGE would remove it, so the moved
    // messages are copied and stay marked \Deleted.
    const blocked = await h.engine.runOperation(op({ kind: 'move', ...ref('INBOX'), uids: [uidOf(h, 'INBOX', id(3, 'I'))], to: 'Elsewhere' }));
    expect(blocked).toMatchObject({ to: 'Elsewhere', removed: false });
    let inbox = await serverIds(other, 'INBOX');
    expect(inbox.get(id(3, 'I'))).toEqual(['\\Deleted']);
    expect(inbox.get(id(9, 'I'))).toEqual(['\\Deleted']);
    expect((await serverIds(other, 'Elsewhere')).has(id(3, 'I'))).toBe(true);

    // Once nothing else is marked, the expunge runs (the earlier mark on 3 is ours to finish too).
    await other.mailboxOpen('INBOX');
    await other.messageFlagsRemove('1:*', ['\\Deleted']);
    await other.mailboxOpen('INBOX', { readOnly: true });
    await other.mailboxClose();
    await waitInSync(h, other, ['INBOX'], 10_000);
    const uid4 = uidOf(h, 'INBOX', id(4, 'I'));
    const done = await h.engine.runOperation(op({ kind: 'move', ...ref('INBOX'), uids: [uid4], to: 'Elsewhere' }));
    expect(done).toMatchObject({ to: 'Elsewhere', removed: true });
    inbox = await serverIds(other, 'INBOX');
    expect(inbox.has(id(4, 'I'))).toBe(false);
    expect(inbox.get(id(9, 'I'))).toEqual([]);
    await waitInSync(h, other, ['INBOX', 'Elsewhere'], 10_000);
  });
});
