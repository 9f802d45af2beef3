/**
 * Push in every folder (NOTIFY, RFC 5465): with no poll after the first ones, changes another
 * client makes in folders other than INBOX still arrive, so only the server's notifications
 * can have brought them. Without NOTIFY the poll keeps its short interval.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { imapCapabilityWithout, loadMailServersFromEnv, type MailServers } from '../../../e2e/mailserver/mailserver';
import { createLogger } from '../log';
import { renewNotify, startNotify } from './notify';
import { startEngine, until, waitInSync, type Harness } from './testing/harness';
import { bulkInsert, otherClient } from './testing/mail-store';
import { testMessage } from './testing/messages';

/** No poll after the first ones: whatever arrives later came by notification. */
const NO_POLL = { pollIntervalMs: 10 * 60_000, notifyPollIntervalMs: 10 * 60_000 };

describe('NOTIFY', () => {
  let servers: MailServers;
  let other: ImapFlow;
  let h: Harness | undefined;
  const subjects = (path: string) => [...h!.model.messages(h!.accountId, path).values()].map((m) => m.subject);

  beforeAll(async () => {
    servers = loadMailServersFromEnv();
  });

  afterEach(async () => {
    await h?.close();
    h = undefined;
    await other?.logout().catch(() => undefined);
  });

  afterAll(async () => {
    await servers.restartDovecot({ imapCapability: null });
  });

  it('brings new mail, flag changes and expunges in other folders without a poll', async () => {
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'Projects', Array.from({ length: 20 }, (_, i) => ({ raw: testMessage(100 + i, { folder: 'P' }).raw })));
    other = await otherClient(servers, 'alice');
    h = startEngine(servers, 'alice', NO_POLL);
    await h.engine.resume([]);
    await waitInSync(h, other, ['INBOX', 'Projects', 'Archive']);

    const times: number[] = [];
    let t = Date.now();
    await other.append('Archive', testMessage(900, { folder: 'A' }).raw);
    await until('the message appended to Archive', () => subjects('Archive').includes('Message 900'), 10_000, 5);
    times.push(Date.now() - t);

    await other.mailboxOpen('Projects');
    t = Date.now();
    await other.messageFlagsAdd('1:3', ['\\Flagged']);
    await waitInSync(h, other, ['Projects'], 10_000);
    times.push(Date.now() - t);

    t = Date.now();
    await other.messageDelete('4:5');
    await other.mailboxClose();
    await waitInSync(h, other, ['Projects', 'Archive'], 10_000);
    times.push(Date.now() - t);
    process.stdout.write(`[sync] other folders by NOTIFY: new mail ${times[0]} ms, flags ${times[1]} ms, expunge ${times[2]} ms\n`);
    expect(h.logs.join('')).not.toMatch(/refused NOTIFY/);
  });

  it('syncs a folder again when it changed while the worker had it selected', async () => {
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'Projects', Array.from({ length: 3000 }, (_, i) => ({ raw: testMessage(1000 + i, { folder: 'P' }).raw })));
    other = await otherClient(servers, 'alice');
    // Small batches: the initial sync of Projects keeps it selected for a while.
    h = startEngine(servers, 'alice', { ...NO_POLL, batchSizes: [50] });
    await h.engine.resume([]);
    await until('the initial sync of Projects under way', () => h!.model.messages(h!.accountId, 'Projects').size > 0, 20_000, 5);
    expect(h.model.cursor(h.accountId, 'Projects')?.partialBelow).toBeDefined();
    // No STATUS comes for the selected folder: only its EXISTS can tell the worker.
    await other.append('Projects', testMessage(9000, { folder: 'P' }).raw);
    await until('the message appended during the sync', () => subjects('Projects').includes('Message 9000'), 30_000, 10);
    await waitInSync(h, other, ['Projects'], 30_000);
  });

  it('asked for again, the server takes it and still tells of each change, at the latest with the next command', async () => {
    await servers.resetUser('alice');
    other = await otherClient(servers, 'alice');
    const listener = await otherClient(servers, 'alice');
    try {
      const heard: string[] = [];
      const log = createLogger('test', () => undefined);
      expect(await startNotify(listener, (path) => heard.push(path), log)).toBe(true);
      await other.append('Archive', testMessage(901, { folder: 'A' }).raw);
      await until('the first notification', () => heard.includes('Archive'), 10_000, 5);
      expect(await renewNotify(listener, log)).toBe(true);
      heard.length = 0;
      // This Dovecot (2.3) sends what it notices after a second NOTIFY SET only with a command's
      // answer, not at once: the worker, which asks again only after a miss, then also polls
      // every 5 s, and each poll is such a command.
      await other.append('Archive', testMessage(902, { folder: 'A' }).raw);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await listener.noop();
      await until('the notification after asking again', () => heard.includes('Archive'), 10_000, 5);
      expect(heard).toEqual(['Archive']);
    } finally {
      await listener.logout().catch(() => undefined);
    }
  });

  it('without NOTIFY, other folders are still polled at the short interval', async () => {
    await servers.restartDovecot({ imapCapability: imapCapabilityWithout(['NOTIFY']) });
    await servers.resetUser('alice');
    other = await otherClient(servers, 'alice');
    expect(other.capabilities.has('NOTIFY')).toBe(false);
    // The interval for servers that notify is held off; this one does not, so it polls as often as ever.
    h = startEngine(servers, 'alice', { notifyPollIntervalMs: 10 * 60_000 });
    await h.engine.resume([]);
    await waitInSync(h, other, ['INBOX', 'Archive']);
    await other.append('Archive', testMessage(901, { folder: 'A' }).raw);
    await until('the message appended to Archive', () => subjects('Archive').includes('Message 901'), 10_000, 5);
  });
});
