/**
 * Selecting INBOX on a connection that never listed the folders: no LIST or LSUB before
 * the EXAMINE (see knowInbox), and the folder opened is the real INBOX. Other folders are
 * still listed first, as imapflow does.
 */
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadMailServersFromEnv, type MailServers } from '../../../e2e/mailserver/mailserver';
import { selectFolder } from './sync-steps';
import { bulkInsert, otherClient } from './testing/mail-store';
import { testMessage } from './testing/messages';

/** Records the name of every command the client sends (imapflow's internal exec). */
function recordCommands(client: ImapFlow): string[] {
  const sent: string[] = [];
  const c = client as unknown as { exec: (...args: unknown[]) => Promise<unknown> };
  const exec = c.exec.bind(client);
  c.exec = (...args: unknown[]) => {
    sent.push(String(args[0]));
    return exec(...args);
  };
  return sent;
}

describe('selectFolder', () => {
  let servers: MailServers;
  let client: ImapFlow | undefined;

  beforeAll(() => {
    servers = loadMailServersFromEnv();
  });

  afterEach(async () => {
    await client?.logout().catch(() => undefined);
    client = undefined;
  });

  it('examines INBOX without listing it first, and the view is the real INBOX', async () => {
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: 3 }, (_, i) => ({ raw: testMessage(i).raw })));
    client = await otherClient(servers, 'alice');
    const sent = recordCommands(client);
    const mb = await selectFolder(client, 'INBOX');
    expect(sent).toEqual(['EXAMINE']);
    expect(mb.path).toBe('INBOX');
    expect(mb.readOnly).toBe(true);
    expect(mb.exists).toBe(3);
    const uids: number[] = [];
    for await (const m of client.fetch('1:*', { uid: true })) uids.push(m.uid);
    expect(uids).toHaveLength(3);
  });

  it('still lists any other folder before examining it', async () => {
    await servers.resetUser('alice');
    client = await otherClient(servers, 'alice');
    const sent = recordCommands(client);
    const mb = await selectFolder(client, 'Archive');
    expect(sent[0]).toBe('LIST');
    expect(sent).toContain('EXAMINE');
    expect(mb.path).toBe('Archive');
  });
});
