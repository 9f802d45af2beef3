/**
 * Test helpers around the real test Dovecot: fill folders fast (maildir files written
 * directly, then a resync, instead of 10k APPENDs), and read a folder's exact state with
 * an independent IMAP client to compare the engine's deltas against.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import type { Account } from '../../../../shared/contract';
import type { MailServers } from '../../../../e2e/mailserver/mailserver';

export interface BulkMessage {
  raw: string | Buffer;
  /** IMAP system flags to store with it (\Seen, \Flagged, \Answered, \Draft). */
  flags?: readonly string[];
}

const MAILDIR_FLAG: Record<string, string> = { '\\Draft': 'D', '\\Flagged': 'F', '\\Answered': 'R', '\\Seen': 'S', '\\Deleted': 'T' };

/** The user's Maildir folder for a mailbox (Maildir++ layout, as the test Dovecot uses). */
async function maildirOf(servers: MailServers, login: string, mailbox: string): Promise<string> {
  const home = (await servers.doveadm(['user', '-f', 'home', login])).trim();
  const root = path.join(home, 'Maildir');
  return mailbox === 'INBOX' ? root : path.join(root, `.${mailbox.split('/').join('.')}`);
}

/**
 * Puts messages into a mailbox in one go: writes them into its maildir `cur/` (owned by
 * the mail user) and makes Dovecot index them. Creates the mailbox if needed.
 */
export async function bulkInsert(servers: MailServers, userName: string, mailbox: string, messages: readonly BulkMessage[]): Promise<void> {
  const login = servers.user(userName).login;
  if (mailbox !== 'INBOX') {
    const existing = (await servers.doveadm(['mailbox', 'list', '-u', login])).split('\n');
    if (!existing.includes(mailbox)) await servers.doveadm(['mailbox', 'create', '-s', '-u', login, mailbox]);
  }
  const dir = await maildirOf(servers, login, mailbox);
  const owner = await fs.stat(dir);
  const cur = path.join(dir, 'cur');
  const stamp = Math.floor(Date.now() / 1000);
  const tag = randomBytes(4).toString('hex');
  const width = String(messages.length).length;
  const chunk = 200;
  for (let start = 0; start < messages.length; start += chunk) {
    await Promise.all(
      messages.slice(start, start + chunk).map(async (m, k) => {
        const i = start + k;
        const letters = [...new Set((m.flags ?? []).map((f) => MAILDIR_FLAG[f]).filter((x): x is string => !!x))].sort().join('');
        const body = Buffer.from(m.raw);
        const file = path.join(cur, `${stamp}.M${String(i).padStart(width, '0')}P${tag}.petrel,S=${body.length}:2,${letters}`);
        await fs.writeFile(file, body);
        await fs.chown(file, owner.uid, owner.gid);
      }),
    );
  }
  await servers.doveadm(['force-resync', '-u', login, mailbox]);
}

/** A plain client for "another mail program" changing the mailbox, or for reading its state. */
export async function otherClient(servers: MailServers, userName: string, options: { qresync?: boolean } = {}): Promise<ImapFlow> {
  const u = servers.user(userName);
  const client = new ImapFlow({
    ...options,
    host: '127.0.0.1',
    port: servers.imap.tlsPort,
    secure: true,
    servername: 'localhost',
    auth: { user: u.login, pass: u.password },
    tls: { ca: [servers.caCert] },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export interface ServerMessage {
  flags: string[];
}

/** Every message of a folder (UID → flags, sorted, without \Recent) as the server has it now. */
export async function serverState(client: ImapFlow, mailbox: string): Promise<{ uidValidity: string; messages: Map<number, ServerMessage> }> {
  const mb = await client.mailboxOpen(mailbox, { readOnly: true });
  const messages = new Map<number, ServerMessage>();
  try {
    if (mb.exists > 0) {
      for await (const m of client.fetch('1:*', { uid: true, flags: true })) {
        messages.set(m.uid, { flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort() });
      }
    }
  } finally {
    // Deselect: Dovecot ends a session whose selected folder another session deletes.
    await client.mailboxClose();
  }
  return { uidValidity: mb.uidValidity.toString(), messages };
}

/** An account pointing at the test servers, as the account store would hold it. */
export function testAccount(servers: MailServers, userName: string, id = `acct-${userName}`): { account: Account; password: string } {
  const u = servers.user(userName);
  const imap = { host: servers.host, port: servers.imap.tlsPort, security: 'tls' as const, username: u.login };
  return {
    password: u.password,
    account: {
      id,
      label: userName,
      name: userName,
      email: u.address,
      auth: { method: 'password' },
      imap,
      smtp: { host: servers.host, port: servers.smtp.submissionPort, security: 'starttls', username: u.login },
      pins: [],
      color: '#336699',
      order: 0,
      identities: [{ id: 'main', name: userName, email: u.address, signature: '' }],
      separateSmtpPassword: false,
      createdAt: 0,
    },
  };
}
