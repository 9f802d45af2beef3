/**
 * Resuming from the renderer's cursors: changes made while the engine was closed
 * converge through QRESYNC (no reset, only what changed is sent); replaying from an OLD
 * cursor converges too; an initial sync cut off by a second resume or by a restart of the
 * app continues from the renderer's partial cursor (no reset, no refetch of what it holds)
 * and ends exact. Connections opened ahead
 * of the first resume (preconnect) carry it, and sync nothing before it.
 */
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadMailServersFromEnv, type MailServers } from '../../../e2e/mailserver/mailserver';
import type { AccountStatus, SyncDelta } from '../../../shared/contract';
import { snapshotCursors, startEngine, until, waitInSync, type Harness } from './testing/harness';
import { bulkInsert, otherClient, testAccount } from './testing/mail-store';
import { testMessage } from './testing/messages';
import { ReferenceModel } from './testing/model';

const FOLDERS = ['INBOX', 'Projects', 'Archive'];
const ALL = [...FOLDERS, 'Sent', 'Drafts', 'Junk', 'Trash'];

describe('resume', () => {
  let servers: MailServers;
  let other: ImapFlow | undefined;
  const open: Harness[] = [];

  beforeAll(() => {
    servers = loadMailServersFromEnv();
  });

  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
    await other?.logout().catch(() => undefined);
    other = undefined;
  });

  function engine(model: ReferenceModel, options: Parameters<typeof startEngine>[2] = {}): Harness {
    const h = startEngine(servers, 'alice', { model, ...options });
    open.push(h);
    return h;
  }

  /** Deltas the model received from `from` on. */
  const since = (model: ReferenceModel, from: number) => model.log.slice(from);
  const upserted = (deltas: SyncDelta[]) => deltas.reduce((n, d) => n + (d.kind === 'upsert' ? d.messages.length : 0), 0);

  async function offlineChanges(client: ImapFlow, n: number): Promise<void> {
    await client.append('INBOX', testMessage(1000 + n).raw);
    await client.append('Projects', testMessage(2000 + n).raw, ['\\Seen']);
    await client.mailboxOpen('Projects');
    await client.messageFlagsAdd(`${n + 1}:${n + 5}`, ['\\Flagged']);
    await client.messageFlagsRemove(`${n + 10}`, ['\\Seen']);
    await client.messageDelete(`${n + 20}:${n + 22}`);
    await client.messageMove(`${n + 30}`, 'Archive');
    await client.mailboxOpen('INBOX');
    await client.messageDelete('1');
    await client.messageFlagsAdd('2', ['$Later']);
    await client.mailboxClose();
  }

  it('converges after changes made while closed, sending only what changed (QRESYNC)', async () => {
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 100 }, (_, i) => ({ raw: testMessage(i).raw })));
    await bulkInsert(servers, 'alice', 'Projects', Array.from({ length: 500 }, (_, i) => ({ raw: testMessage(i).raw, flags: ['\\Seen'] })));
    other = await otherClient(servers, 'alice');
    const model = new ReferenceModel();

    const first = engine(model);
    await first.engine.resume([]);
    await waitInSync(first, other, ALL);
    const oldCursors = snapshotCursors(model);
    await offlineChanges(other, 0);
    await waitInSync(first, other, ALL);
    await first.close();

    // Closed: the renderer keeps its store and cursors; the server moves on.
    await offlineChanges(other, 40);
    const mark = model.log.length;
    const second = engine(model);
    await second.engine.resume(model.cursorList());
    await waitInSync(second, other, FOLDERS);
    const sent = since(model, mark);
    expect(sent.filter((d) => d.kind === 'reset')).toEqual([]);
    expect(sent.filter((d) => d.kind === 'uidset')).toEqual([]);
    expect(upserted(sent)).toBeLessThanOrEqual(3);
    expect(sent.some((d) => d.kind === 'expunge' && d.path === 'Projects')).toBe(true);
    await second.close();

    // Replaying from an older cursor (the renderer restored a backup, say) converges too.
    await offlineChanges(other, 80);
    const third = engine(model);
    await third.engine.resume(oldCursors);
    await waitInSync(third, other, FOLDERS);
    expect(since(model, mark).filter((d) => d.kind === 'reset')).toEqual([]);
  });

  it('opens the connections ahead of the first resume, syncs nothing before it, then resyncs on them', async () => {
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 20 }, (_, i) => ({ raw: testMessage(i).raw })));
    other = await otherClient(servers, 'alice');
    const model = new ReferenceModel();
    const first = engine(model);
    await first.engine.resume([]);
    await waitInSync(first, other, ['INBOX']);
    await first.close();
    await other.append('INBOX', testMessage(500).raw);

    const mark = model.log.length;
    const second = engine(model);
    await second.engine.preconnect();
    // Both connections are logged in now; the renderer has not said what it holds yet.
    expect(since(model, mark)).toEqual([]);
    const used = (role: string) => second.logs.some((l) => l.includes(`${role} connection opened ahead is used`));
    expect(used('worker') || used('inbox')).toBe(false);
    await second.engine.resume(model.cursorList());
    await waitInSync(second, other, ['INBOX']);
    expect(used('worker')).toBe(true);
    expect(used('inbox')).toBe(true);
    const sent = since(model, mark);
    expect(sent.filter((d) => d.kind === 'reset')).toEqual([]);
    expect(upserted(sent)).toBe(1);
  });

  it('shows a login refused ahead of the first resume as the account error, with its backoff', async () => {
    await servers.resetUser('alice');
    const account = { ...testAccount(servers, 'alice'), password: 'wrong-password' };
    const h = engine(new ReferenceModel(), { account });
    const statuses: AccountStatus[] = [];
    h.engine.onStatus((list) => statuses.push(...list));
    await h.engine.preconnect();
    // Refused already, but nothing is shown as started before the resume.
    expect(statuses.map((s) => s.state).filter((s) => s !== 'offline')).toEqual([]);
    await h.engine.resume([]);
    await until('the account in error', () => statuses.some((s) => s.state === 'error'));
    const error = statuses.find((s) => s.state === 'error')!;
    expect(error.error?.code).toBe('AUTH_FAILED');
    expect(error.retryAt! - Date.now()).toBeGreaterThan(30_000);
  });

  const partialOf = (model: ReferenceModel, accountId: string, path: string) => model.cursor(accountId, path)?.partialBelow;
  const resets = (deltas: SyncDelta[], path: string) => deltas.filter((d) => d.kind === 'reset' && d.path === path).length;
  const upsertedIn = (deltas: SyncDelta[], path: string) => upserted(deltas.filter((d) => d.kind === 'upsert' && d.path === path));

  it('continues a big initial sync where it stood when the renderer resumes in the middle of it', async () => {
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'Projects', Array.from({ length: 4000 }, (_, i) => ({ raw: testMessage(i).raw, flags: i % 2 ? ['\\Seen'] : [] })));
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 10 }, (_, i) => ({ raw: testMessage(i).raw })));
    other = await otherClient(servers, 'alice');
    const model = new ReferenceModel();
    const h = engine(model, { batchSizes: [50, 200] });
    await h.engine.resume([]);
    await until('the initial sync of Projects under way', () => (model.progress.get(`${h.accountId}\u0000Projects`)?.synced ?? 0) >= 450);
    // The renderer reconnected: it hands back what it has, a partial cursor for Projects.
    expect(partialOf(model, h.accountId, 'Projects')).toBeGreaterThan(1);
    const mark = model.log.length;
    const storedBefore = model.messages(h.accountId, 'Projects').size;
    await h.engine.resume(model.cursorList());
    await offlineChanges(other, 0);
    await waitInSync(h, other, FOLDERS, 30_000);
    const after = since(model, mark);
    // No start over: the messages stored before the resume were not fetched again (but for
    // the few the offline changes touched and those of a batch in flight at the resume).
    expect(resets(after, 'Projects')).toBe(0);
    expect(upsertedIn(after, 'Projects')).toBeLessThanOrEqual(4000 - storedBefore + 200 + 10);
    expect(model.cursor(h.accountId, 'Projects')?.partialBelow).toBeUndefined();
  });

  it('continues a big initial sync cut off by a restart, then catches up with what changed meanwhile', async () => {
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'Projects', Array.from({ length: 3000 }, (_, i) => ({ raw: testMessage(i).raw, flags: i % 3 ? ['\\Seen'] : [] })));
    other = await otherClient(servers, 'alice');
    const model = new ReferenceModel();
    const first = engine(model, { batchSizes: [100, 300] });
    await first.engine.resume([]);
    await until('part of Projects stored', () => (partialOf(model, first.accountId, 'Projects') ?? Infinity) < 2500);
    await first.close();
    const below = partialOf(model, first.accountId, 'Projects')!;
    const storedBefore = model.messages(first.accountId, 'Projects').size;
    expect(storedBefore).toBeGreaterThan(0);
    expect(storedBefore).toBeLessThan(3000);
    // While the app is closed: changes among the stored messages and among the others, and new mail.
    await other.mailboxOpen('Projects');
    await other.messageFlagsAdd({ uid: `${below}:${below + 20}` }, ['\\Flagged'], { uid: true });
    await other.messageDelete({ uid: `${below + 30}:${below + 34}` }, { uid: true });
    await other.messageDelete({ uid: `${below - 10}:${below - 6}` }, { uid: true });
    await other.messageFlagsAdd({ uid: `1:5` }, ['$Later'], { uid: true });
    await other.mailboxClose();
    await other.append('Projects', testMessage(9000).raw);
    // The app starts again with what the renderer stored.
    const mark = model.log.length;
    const second = engine(model, { batchSizes: [100, 300] });
    await second.engine.resume(snapshotCursors(model));
    await waitInSync(second, other, ['INBOX', 'Projects'], 30_000);
    const after = since(model, mark);
    expect(resets(after, 'Projects')).toBe(0);
    // The older messages, the new one and the flag changes among the stored ones: not the whole folder again.
    expect(upsertedIn(after, 'Projects')).toBeLessThanOrEqual(3000 - storedBefore + 1);
    expect(after.some((d) => d.kind === 'expunge' && d.path === 'Projects')).toBe(true);
    expect(model.cursor(second.accountId, 'Projects')?.partialBelow).toBeUndefined();
  });
});
