/**
 * Changes made by another mail program arrive without any action: new mail, flag
 * changes, expunges and moves, in INBOX (pushed through IDLE) and in other folders
 * (found by STATUS polling); folders created, renamed and deleted; a folder deleted and
 * recreated under the same name (new UIDVALIDITY) is reset and synced again.
 */
import { ImapFlow } from 'imapflow';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadMailServersFromEnv, type MailServers } from '../../../e2e/mailserver/mailserver';
import { startEngine, until, waitInSync, type Harness } from './testing/harness';
import { bulkInsert, otherClient } from './testing/mail-store';
import { testMessage } from './testing/messages';

describe('live changes', () => {
  let servers: MailServers;
  let other: ImapFlow;
  let h: Harness;
  const subjects = (path: string) => [...h.model.messages(h.accountId, path).values()].map((m) => m.subject);

  beforeAll(async () => {
    servers = loadMailServersFromEnv();
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 30 }, (_, i) => ({ raw: testMessage(i, { folder: 'INBOX' }).raw })));
    await bulkInsert(servers, 'alice', 'Projects', Array.from({ length: 30 }, (_, i) => ({ raw: testMessage(100 + i, { folder: 'P' }).raw, flags: ['\\Seen'] })));
    other = await otherClient(servers, 'alice');
    h = startEngine(servers, 'alice');
    await h.engine.resume([]);
    await waitInSync(h, other, ['INBOX', 'Projects', 'Archive', 'Trash']);
  });

  afterAll(async () => {
    await h?.close();
    await other?.logout();
  });

  it('keeps exactly two connections per account', async () => {
    const login = servers.user('alice').login;
    const sessions = async () => (await servers.doveadm(['who', '-1', login])).split('\n').filter((l) => l.includes(login) && /\bimap\b/.test(l)).length;
    // The engine's worker and INBOX connections, plus this test's own client (sessions of
    // earlier test files may take a moment to be gone).
    let count = 0;
    await until('three IMAP sessions', async () => (count = await sessions()) === 3, 5000).catch(() => undefined);
    expect(count).toBe(3);
  });

  it('shows new INBOX mail by push after SMTP acceptance (IDLE), without any action', async () => {
    const bob = servers.user('bob');
    const smtp = createTransport({
      host: servers.host,
      port: servers.smtp.submissionPort,
      secure: false,
      requireTLS: true,
      auth: { user: bob.login, pass: bob.password },
      tls: { ca: [servers.caCert] },
    });
    const latencies: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const subject = `Pushed ${i} ${Date.now()}`;
        await smtp.sendMail({ from: bob.address, to: servers.user('alice').address, subject, text: 'Hi Alice' });
        const accepted = Date.now();
        await until('the pushed message', () => subjects('INBOX').includes(subject), 10_000, 5);
        latencies.push(Date.now() - accepted);
      }
    } finally {
      smtp.close();
    }
    process.stdout.write(`[sync] new INBOX mail visible after SMTP acceptance: ${latencies.join(', ')} ms\n`);
    // Dovecot delivers over LMTP, then waits ~0.5 s before telling IDLE; the rest is ours.
    // Each of the three arrived by push (until() fails after 10 s); the latency is a benchmark figure.
    expect(latencies).toHaveLength(3);
    await waitInSync(h, other, ['INBOX']);
  });

  it('syncs what IDLE reports without selecting INBOX again (QRESYNC), and stays exact', async () => {
    const opens = vi.spyOn(ImapFlow.prototype, 'mailboxOpen');
    try {
      await other.append('INBOX', testMessage(800).raw);
      await until('the appended message', () => subjects('INBOX').includes('Message 800'), 10_000, 5);
      await other.mailboxOpen('INBOX');
      await other.messageFlagsAdd('1', ['$Pushed']);
      await other.messageDelete('2');
      await waitInSync(h, other, ['INBOX'], 5000);
      const engineOpens = opens.mock.calls.filter((call, i) => call[0] === 'INBOX' && opens.mock.contexts[i] !== other);
      expect(engineOpens).toEqual([]);
    } finally {
      opens.mockRestore();
    }
  });

  it('applies flag changes, expunges and moves in INBOX (IDLE)', async () => {
    await other.mailboxOpen('INBOX');
    await other.messageFlagsAdd('1:5', ['\\Seen', '\\Flagged']);
    await other.messageFlagsAdd('6', ['$Work']);
    await other.messageFlagsRemove('1', ['\\Seen']);
    let t = Date.now();
    await waitInSync(h, other, ['INBOX'], 5000);
    const flagMs = Date.now() - t;
    await other.messageDelete('7:8');
    t = Date.now();
    await waitInSync(h, other, ['INBOX'], 5000);
    const expungeMs = Date.now() - t;
    await other.messageMove('9:10', 'Archive');
    await waitInSync(h, other, ['INBOX', 'Archive'], 10_000);
    process.stdout.write(`[sync] INBOX flag change visible after ${flagMs} ms, expunge after ${expungeMs} ms\n`);
  });

  it('applies new mail, flag changes, expunges and moves in another folder (polling)', async () => {
    await other.append('Projects', testMessage(500, { folder: 'P' }).raw, ['\\Flagged']);
    await other.mailboxOpen('Projects');
    await other.messageFlagsRemove('1:3', ['\\Seen']);
    await other.messageFlagsAdd('4', ['\\Answered']);
    await other.messageDelete('5');
    await other.messageMove('6:7', 'Trash');
    const t = Date.now();
    await waitInSync(h, other, ['Projects', 'Trash'], 10_000);
    process.stdout.write(`[sync] other-folder changes visible after ${Date.now() - t} ms (poll every 250 ms in tests)\n`);
    expect(subjects('Projects')).toContain('Message 500');
  });

  it('creates, renames and deletes folders', async () => {
    const paths = () => (h.model.folders.get(h.accountId) ?? []).map((f) => f.path);
    await h.engine.createFolder(h.accountId, 'Clients');
    expect(paths()).toContain('Clients');
    await other.append('Clients', testMessage(600).raw);
    await waitInSync(h, other, ['Clients']);
    await h.engine.renameFolder(h.accountId, 'Clients', 'Customers');
    expect(paths()).toContain('Customers');
    expect(paths()).not.toContain('Clients');
    expect(h.model.messages(h.accountId, 'Clients').size).toBe(0);
    await waitInSync(h, other, ['Customers']);
    expect(subjects('Customers')).toEqual(['Message 600']);
    await h.engine.deleteFolder(h.accountId, 'Customers');
    expect(paths()).not.toContain('Customers');
    expect(h.model.cursor(h.accountId, 'Customers')).toBeUndefined();
    await expect(h.engine.deleteFolder(h.accountId, 'No such folder')).rejects.toMatchObject({ code: 'SERVER_ERROR' });
  });

  it('resets and resyncs a folder deleted and recreated under the same name', async () => {
    const before = h.model.cursor(h.accountId, 'Projects')!;
    const resetsBefore = h.model.log.filter((d) => d.kind === 'reset' && d.path === 'Projects').length;
    await other.mailboxDelete('Projects');
    await other.mailboxCreate('Projects');
    await other.append('Projects', testMessage(700).raw, ['\\Seen']);
    await other.append('Projects', testMessage(701).raw);
    await until('a new UIDVALIDITY for Projects', () => h.model.cursor(h.accountId, 'Projects')?.uidValidity !== before.uidValidity, 10_000);
    await waitInSync(h, other, ['Projects']);
    expect(subjects('Projects').sort()).toEqual(['Message 700', 'Message 701']);
    expect(h.model.log.filter((d) => d.kind === 'reset' && d.path === 'Projects').length).toBe(resetsBefore + 1);
  });
});
