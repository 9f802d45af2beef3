/**
 * Exact after any disconnect: Dovecot restarted and connections kicked in the middle of
 * a large initial sync, a server that stops answering (noticed by the liveness probe),
 * and a broken account next to a working one.
 */
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadMailServersFromEnv, type MailServers } from '../../../e2e/mailserver/mailserver';
import type { AccountStatus } from '../../../shared/contract';
import { startEngine, until, waitInSync, type Harness } from './testing/harness';
import { bulkInsert, otherClient, testAccount } from './testing/mail-store';
import { testMessage } from './testing/messages';

const BIG = 6000;

describe('recovery', () => {
  let servers: MailServers;
  let h: Harness | undefined;
  let other: ImapFlow | undefined;
  const states: AccountStatus['state'][] = [];

  beforeAll(() => {
    servers = loadMailServersFromEnv();
  });

  afterEach(async () => {
    await h?.close();
    await other?.logout().catch(() => undefined);
    h = undefined;
    other = undefined;
    states.length = 0;
  });

  async function bigSyncUnderWay(): Promise<Harness> {
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'Big', Array.from({ length: BIG }, (_, i) => ({ raw: testMessage(i, { folder: 'Big' }).raw, flags: i % 3 ? ['\\Seen'] : [] })));
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 50 }, (_, i) => ({ raw: testMessage(i).raw })));
    const harness = startEngine(servers, 'alice', { batchSizes: [50, 300, 500] });
    harness.engine.onStatus((s) => states.push(s[0]!.state));
    await harness.engine.resume([]);
    await until('the initial sync of Big to be under way', () => (harness.model.progress.get(`${harness.accountId}\u0000Big`)?.synced ?? 0) >= 850);
    return harness;
  }

  async function changeEverything(client: ImapFlow): Promise<void> {
    await client.append('INBOX', testMessage(9001).raw);
    await client.append('Big', testMessage(9002).raw, ['\\Flagged']);
    await client.mailboxOpen('Big');
    await client.messageFlagsAdd('1:20', ['\\Answered']);
    await client.messageFlagsAdd(`${BIG - 10}:${BIG}`, ['$Important']);
    await client.messageDelete('21:30');
    await client.messageMove(`${BIG - 20}:${BIG - 15}`, 'Archive');
    await client.mailboxClose();
  }

  /** Server processes of a user's IMAP sessions (as Dovecot's anvil knows them). */
  async function sessionPids(userName: string): Promise<number[]> {
    const login = servers.user(userName).login;
    return (await servers.doveadm(['who', '-1', login]))
      .split('\n')
      .filter((l) => l.startsWith(login))
      .map((l) => Number(l.trim().split(/\s+/)[2]))
      .filter((p) => p > 1);
  }

  const resets = (harness: Harness, path: string) => harness.model.log.filter((d) => d.kind === 'reset' && d.path === path).length;

  it('ends in the exact server state after Dovecot restarts mid-sync, without starting the big folder over', async () => {
    h = await bigSyncUnderWay();
    // Dovecot keeps running sessions across a restart of its master (their processes live
    // on), so end them as a real restart or crash would, while the server is down.
    const pids = await sessionPids('alice');
    const restarted = servers.restartDovecot();
    await new Promise((r) => setTimeout(r, 20));
    for (const pid of pids) process.kill(pid, 'SIGTERM');
    await restarted;
    other = await otherClient(servers, 'alice');
    await changeEverything(other);
    await waitInSync(h, other, ['INBOX', 'Big', 'Archive'], 30_000);
    expect(states).toContain('offline');
    expect(states[states.length - 1]).toBe('online');
    // The half-done initial sync went on where it was: one reset only.
    expect(resets(h, 'Big')).toBe(1);
  });

  it('ends in the exact server state after its connections are kicked mid-sync', async () => {
    h = await bigSyncUnderWay();
    const login = servers.user('alice').login;
    await servers.doveadm(['kick', login]);
    other = await otherClient(servers, 'alice');
    await changeEverything(other);
    await servers.doveadm(['kick', login]);
    other = await otherClient(servers, 'alice');
    await waitInSync(h, other, ['INBOX', 'Big', 'Archive'], 30_000);
    expect(states.filter((s) => s === 'online').length).toBeGreaterThanOrEqual(2);
    expect(resets(h, 'Big')).toBe(1);
  });

  it('notices a server that stops answering (liveness probe) and reconnects', async () => {
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 5 }, (_, i) => ({ raw: testMessage(i).raw })));
    h = startEngine(servers, 'alice', { livenessMs: 1000, probeTimeoutMs: 1000 });
    h.engine.onStatus((s) => states.push(s[0]!.state));
    await h.engine.resume([]);
    other = await otherClient(servers, 'alice');
    await waitInSync(h, other, ['INBOX']);
    await other.logout();
    other = undefined;
    // Freeze the server processes of the engine's sessions: sockets stay open, nothing answers.
    const pids = await sessionPids('alice');
    expect(pids.length).toBeGreaterThanOrEqual(2);
    const frozenAt = Date.now();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      await until('the engine to give up on the frozen connections', () => states.includes('offline') || states.lastIndexOf('connecting') > 1, 15_000);
      const noticedMs = Date.now() - frozenAt;
      process.stdout.write(`[sync] a silent server was noticed after ${noticedMs} ms (liveness 1 s + probe timeout 1 s in this test)\n`);
      await until('back online', () => states[states.length - 1] === 'online', 15_000);
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // Already gone.
        }
      }
    }
    other = await otherClient(servers, 'alice');
    await other.append('INBOX', testMessage(77).raw);
    await waitInSync(h, other, ['INBOX']);
  });

  it('reconnects at once when told the network changed, and stays exact', async () => {
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 5 }, (_, i) => ({ raw: testMessage(i).raw })));
    h = startEngine(servers, 'alice', { backoff: { baseMs: 60_000, maxMs: 60_000 } });
    h.engine.onStatus((s) => states.push(s[0]!.state));
    await h.engine.resume([]);
    other = await otherClient(servers, 'alice');
    await waitInSync(h, other, ['INBOX']);
    const onlineBefore = states.filter((s) => s === 'online').length;
    h.engine.networkChanged();
    await other.append('INBOX', testMessage(88).raw);
    // No backoff wait (it is a minute here): straight back online.
    await until('online again', () => states.filter((s) => s === 'online').length > onlineBefore, 5000);
    await waitInSync(h, other, ['INBOX']);
  });

  it('keeps a broken account from holding back the others, and retries at once when it is fixed', async () => {
    await servers.resetUser('alice');
    await servers.resetUser('bob');
    await bulkInsert(servers, 'bob', 'INBOX', Array.from({ length: 5 }, (_, i) => ({ raw: testMessage(i).raw })));
    const alice = testAccount(servers, 'alice');
    const bob = testAccount(servers, 'bob');
    const unreachable = testAccount(servers, 'carol', 'acct-carol');
    unreachable.account = { ...unreachable.account, imap: { ...unreachable.account.imap, port: 1 } };
    let alicePassword = 'wrong-password';
    const accounts = () => [{ ...alice, password: alicePassword }, bob, unreachable];
    h = startEngine(servers, 'bob', { account: bob });
    // The harness wires one account; give the engine all three.
    (h.engine as unknown as { opts: { getAccounts: () => Promise<unknown> } }).opts.getAccounts = async () => accounts();
    const statuses = new Map<string, AccountStatus>();
    h.engine.onStatus((list) => list.forEach((s) => statuses.set(s.accountId, s)));
    await h.engine.resume([]);
    other = await otherClient(servers, 'bob');
    await waitInSync(h, other, ['INBOX']);
    await until('alice in error', () => statuses.get(alice.account.id)?.state === 'error');
    const a = statuses.get(alice.account.id)!;
    expect(a.error?.code).toBe('AUTH_FAILED');
    expect(a.retryAt! - Date.now()).toBeGreaterThan(30_000);
    await until('carol offline', () => statuses.get('acct-carol')?.state === 'offline');
    expect(statuses.get('acct-carol')!.error?.code).toBe('SERVER_UNREACHABLE');
    expect(statuses.get(bob.account.id)!.state).toBe('online');

    alicePassword = alice.password;
    await h.engine.accountsChanged();
    await until('alice online', () => statuses.get(alice.account.id)?.state === 'online', 10_000);
    await until('alice folders', () => h!.model.folders.has(alice.account.id));
  });
});
