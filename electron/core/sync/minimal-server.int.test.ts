/**
 * A server that advertises none of IDLE, CONDSTORE, QRESYNC, MOVE, PREVIEW, ESEARCH or
 * LIST-STATUS (a separate Dovecot started here with a reduced `imap_capability`) still
 * syncs exactly, by polling and full comparison. Dovecot would run those commands if
 * asked, so this also proves the engine decides by what is advertised.
 */
import fs from 'node:fs/promises';
import tls from 'node:tls';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imapCapabilityWithout, startMailServers, type MailServers } from '../../../e2e/mailserver/mailserver';
import type { CertificatePin } from '../../../shared/contract';
import { startEngine, until, waitInSync, type Harness } from './testing/harness';
import { bulkInsert, otherClient, testAccount } from './testing/mail-store';
import { testMessage } from './testing/messages';

const HIDDEN = ['IDLE', 'CONDSTORE', 'QRESYNC', 'MOVE', 'PREVIEW', 'PREVIEW=FUZZY', 'SNIPPET=FUZZY', 'ESEARCH', 'LIST-STATUS'];

/** The server's own certificate as a pin: this instance has its own test CA, which the process does not trust. */
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

describe('a server without IDLE, CONDSTORE, QRESYNC, MOVE, PREVIEW', () => {
  let servers: MailServers;
  let other: ImapFlow;
  let h: Harness;

  beforeAll(async () => {
    const dir = await fs.mkdtemp('/var/tmp/pmin-');
    servers = await startMailServers({ dir, imapCapability: imapCapabilityWithout(HIDDEN), users: [{ name: 'alice' }] });
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 40 }, (_, i) => ({ raw: testMessage(i).raw, flags: i % 2 ? ['\\Seen'] : [] })));
    await bulkInsert(servers, 'alice', 'Projects', Array.from({ length: 300 }, (_, i) => ({ raw: testMessage(i).raw, flags: ['\\Seen'] })));
    other = await otherClient(servers, 'alice');
    for (const c of HIDDEN) expect(other.capabilities.has(c)).toBe(false);
    const account = testAccount(servers, 'alice');
    account.account = { ...account.account, pins: [await pinFor(servers.host, servers.imap.tlsPort)] };
    h = startEngine(servers, 'alice', { account, rescanMs: 1000 });
    await h.engine.resume([]);
  }, 90_000);

  afterAll(async () => {
    await h?.close();
    await other?.logout().catch(() => undefined);
    await servers?.stop();
  });

  it('syncs everything, with previews made from the text parts', async () => {
    await waitInSync(h, other, ['INBOX', 'Projects', 'Sent', 'Trash']);
    for (const c of h.model.cursorList()) expect(c.highestModseq).toBeNull();
    const byId = new Map([...h.model.messages(h.accountId, 'Projects').values()].map((m) => [m.messageId, m]));
    for (const i of [0, 1, 2, 3, 4]) {
      const expected = testMessage(i);
      const m = byId.get(expected.messageId)!;
      expect(m.preview).toBe(expected.text);
      expect(m.modseq).toBeNull();
      expect(m.hasAttachments).toBe(expected.hasAttachment);
    }
    const roles = Object.fromEntries((h.model.folders.get(h.accountId) ?? []).map((f) => [f.path, f.specialUse]));
    expect(roles).toMatchObject({ INBOX: 'inbox', Sent: 'sent', Trash: 'trash', Projects: null });
  });

  it('finds every kind of change by polling and full comparison', async () => {
    await other.append('INBOX', testMessage(500).raw);
    await other.mailboxOpen('INBOX');
    await other.messageFlagsAdd('1:3', ['\\Flagged']);
    await other.messageDelete('4');
    await other.mailboxOpen('Projects');
    // \Flagged changes nothing STATUS shows: only the periodic full comparison can find it.
    await other.messageFlagsAdd('10:12', ['\\Flagged']);
    await other.messageFlagsRemove('13', ['\\Seen']);
    await other.messageDelete('20:21');
    // Without MOVE, imapflow copies and expunges.
    await other.messageMove('30:31', 'Trash');
    await other.append('Projects', testMessage(501).raw, ['\\Answered']);
    await other.mailboxClose();
    const t = Date.now();
    await waitInSync(h, other, ['INBOX', 'Projects', 'Trash'], 20_000);
    process.stdout.write(`[sync] minimal server: changes visible after ${Date.now() - t} ms (poll 250 ms, full comparison every 1 s)\n`);
    expect(h.model.log.some((d) => d.kind === 'uidset' && d.path === 'Projects')).toBe(true);
  });

  it('does not send unchanged flags again at every full comparison', async () => {
    await waitInSync(h, other, ['Projects']);
    const flagsSent = () =>
      h.model.log.reduce((n, d) => n + (d.kind === 'flags' && d.path === 'Projects' ? d.changes.length : 0), 0);
    const compares = () => h.model.log.filter((d) => d.kind === 'uidset' && d.path === 'Projects').length;
    // One comparison to settle: a message that arrived as new is checked once more by it.
    const settled = compares() + 1;
    await until('a full comparison of Projects', () => compares() >= settled, 10_000);
    const before = flagsSent();
    await until('two more full comparisons of Projects', () => compares() >= settled + 2, 10_000);
    expect(flagsSent()).toBe(before);
  });

  it('sees flag-only changes in INBOX too', async () => {
    await other.mailboxOpen('INBOX');
    await other.messageFlagsAdd('5', ['$Label1']);
    await other.mailboxClose();
    await until('the keyword in INBOX', () => [...h.model.messages(h.accountId, 'INBOX').values()].some((m) => m.flags.includes('$Label1')), 10_000);
    await waitInSync(h, other, ['INBOX']);
  });
});
