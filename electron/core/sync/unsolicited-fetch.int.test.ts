/**
 * Another client's flag change reaches our session as an unsolicited FETCH in the middle
 * of our own UID FETCH (RFC 3501 7.4.2; with QRESYNC it carries a UID, RFC 7162 3.2.10).
 * Read as an answer, it became a header with no sender, no subject and a 1970 date that
 * replaced the cached message. These tests make Dovecot send one and check that the
 * header fetch and the body download tell it apart from their answers.
 */
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadMailServersFromEnv, type MailServers } from '../../../e2e/mailserver/mailserver';
import { readBodies } from './body-fetcher';
import { fetchHeaders } from './fetch-headers';
import { bulkInsert, otherClient } from './testing/mail-store';
import { testMessage } from './testing/messages';

describe('FETCH responses the server sends for other messages meanwhile', () => {
  let servers: MailServers;
  const open: ImapFlow[] = [];

  beforeAll(() => {
    servers = loadMailServersFromEnv();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.logout().catch(() => undefined)));
  });

  /**
   * Our session (QRESYNC, as the engine runs) with INBOX open, and another client that has
   * changed the second message's flags since. UIDs go on from earlier tests: `uids` are these three.
   */
  async function changedUnderUs(): Promise<{ ours: ImapFlow; uidValidity: string; uids: number[] }> {
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 3 }, (_, i) => ({ raw: testMessage(i).raw })));
    const ours = await otherClient(servers, 'alice', { qresync: true });
    const them = await otherClient(servers, 'alice');
    open.push(ours, them);
    const mb = await ours.mailboxOpen('INBOX', { readOnly: true });
    const uids = ((await ours.search({ all: true }, { uid: true })) || []).sort((a, b) => a - b);
    expect(uids).toHaveLength(3);
    await them.mailboxOpen('INBOX');
    await them.messageFlagsAdd(String(uids[1]), ['\\Seen', '\\Flagged'], { uid: true });
    return { ours, uidValidity: mb.uidValidity.toString(), uids };
  }

  for (const preview of ['server PREVIEW', 'partial text'] as const) {
    it(`headers (${preview}): only the first message is a header; the second one's change comes as a flag update`, async () => {
      const { ours, uidValidity, uids } = await changedUnderUs();
      if (preview === 'partial text') ours.capabilities.delete('PREVIEW');
      const { headers, flags } = await fetchHeaders(ours, String(uids[0]), { accountId: 'a1', path: 'INBOX', uidValidity });
      expect(headers.map((h) => [h.uid, h.subject])).toEqual([[uids[0], 'Message 0']]);
      expect(flags).toHaveLength(1);
      expect(flags[0]).toMatchObject({ uid: uids[1], flags: ['\\Flagged', '\\Seen'] });
      expect(flags[0]!.modseq).toMatch(/^\d+$/);
    });
  }

  it('headers: a change to a message in the answer ends up in its header', async () => {
    const { ours, uidValidity, uids } = await changedUnderUs();
    const { headers, flags } = await fetchHeaders(ours, uids.join(','), { accountId: 'a1', path: 'INBOX', uidValidity });
    expect(headers.map((h) => [h.uid, h.subject])).toEqual([
      [uids[0], 'Message 0'],
      [uids[1], 'Message 1'],
      [uids[2], 'Message 2'],
    ]);
    expect(headers[1]!.flags).toEqual(['\\Flagged', '\\Seen']);
    expect(flags).toEqual([]);
  });

  it('bodies: only the message asked for is read, once', async () => {
    const { ours, uidValidity, uids } = await changedUnderUs();
    const bodies = await readBodies(ours, { accountId: 'a1', path: 'INBOX', uidValidity }, [uids[0]!]);
    expect(bodies.map((b) => b.uid)).toEqual([uids[0]]);
    expect(bodies[0]!.text).toContain('Hello number 0');
  });
});
