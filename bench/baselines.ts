/**
 * What the app is compared with, on the same servers and corpus:
 * - a bare imapflow fetch of exactly the fields the engine asks for
 *   (electron/core/sync/fetch-headers.ts, the PREVIEW path Dovecot takes), parsed by
 *   imapflow as its own fetch() does, in one UID FETCH: no batching, no mapping, no IPC;
 * - mbsync (isync) pulling the whole folder, bodies included, into a maildir;
 * - Dovecot's own IDLE delay: from the server accepting a message (SMTP 250 after DATA,
 *   or APPEND's OK) to the EXISTS reaching a bare imapflow client idling in the folder.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ImapFlow, type ImapResponse } from 'imapflow';
import { formatMessageResponse } from 'imapflow/lib/tools';
import nodemailer from 'nodemailer';
import type { MailServers, MailUser } from '../e2e/mailserver/mailserver';
import { ensureDebianPackages } from '../scripts/system-deps';

/** Mirrors fetchWithServerPreview() in electron/core/sync/fetch-headers.ts. */
const ENGINE_ITEMS = ['UID', 'FLAGS', 'ENVELOPE', 'INTERNALDATE', 'RFC822.SIZE', 'BODYSTRUCTURE', 'MODSEQ', 'PREVIEW'];
const ENGINE_HEADER_FIELDS = ['REFERENCES', 'IN-REPLY-TO'];

type Exec = (
  command: string,
  attributes: unknown[],
  options: { untagged: Record<string, (untagged: ImapResponse) => Promise<void>> },
) => Promise<{ next(): void }>;

export function imapClient(servers: MailServers, user: MailUser): ImapFlow {
  const client = new ImapFlow({
    host: 'localhost',
    port: servers.imap.tlsPort,
    secure: true,
    auth: { user: user.login, pass: user.password },
    tls: { ca: servers.caCert },
    logger: false,
    qresync: true,
  });
  client.on('error', () => undefined);
  return client;
}

/**
 * Connect, EXAMINE, then one FETCH of the engine's items: by sequence numbers for the
 * newest `newest` messages, or UID 1:* for all. Times from before the connect.
 */
export async function imapflowFetch(servers: MailServers, user: MailUser, folder: string, newest?: number): Promise<{ ms: number; count: number }> {
  const started = performance.now();
  const client = imapClient(servers, user);
  await client.connect();
  try {
    const mailbox = await client.mailboxOpen(folder, { readOnly: true });
    const atom = (value: string) => ({ type: 'ATOM', value });
    const items: unknown[] = ENGINE_ITEMS.map(atom);
    items.push({ type: 'ATOM', value: 'BODY.PEEK', section: [atom('HEADER.FIELDS'), ENGINE_HEADER_FIELDS.map(atom)] });
    const exec = (client as unknown as { exec: Exec }).exec.bind(client);
    let count = 0;
    const range = newest ? `${Math.max(1, mailbox.exists - newest + 1)}:*` : '1:*';
    const response = await exec(newest ? 'FETCH' : 'UID FETCH', [{ type: 'SEQUENCE', value: range }, items], {
      untagged: {
        FETCH: async (untagged) => {
          const msg = await formatMessageResponse(untagged, mailbox, undefined, client);
          if (msg.uid) count++;
        },
      },
    });
    response.next();
    return { ms: performance.now() - started, count };
  } finally {
    await client.logout().catch(() => client.close());
  }
}

// ---------------------------------------------------------------------------------------
// mbsync

export function ensureMbsync(): void {
  ensureDebianPackages([{ file: '/usr/bin/mbsync', pkg: 'isync' }], 'The mbsync baseline of the benchmark');
}

/** A full pull of one folder into an empty maildir under `workDir` (FSync off, like the app's relaxed IndexedDB). */
export async function mbsyncPull(servers: MailServers, user: MailUser, folder: string, workDir: string): Promise<{ ms: number; count: number; bytes: number }> {
  const dir = path.join(workDir, `mbsync-${user.name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'mail'), { recursive: true });
  const rc = path.join(dir, 'mbsyncrc');
  fs.writeFileSync(
    rc,
    [
      'FSync no',
      '',
      'IMAPAccount bench',
      'Host localhost',
      `Port ${servers.imap.tlsPort}`,
      `User ${user.login}`,
      `Pass ${user.password}`,
      'SSLType IMAPS',
      `CertificateFile ${servers.caCertPath}`,
      '',
      'IMAPStore remote',
      'Account bench',
      '',
      'MaildirStore local',
      `Path ${dir}/mail/`,
      `Inbox ${dir}/mail/INBOX`,
      'SubFolders Verbatim',
      '',
      'Channel pull',
      'Far :remote:',
      'Near :local:',
      `Patterns "${folder}"`,
      'Sync Pull',
      'Create Near',
      'Expunge None',
      `SyncState ${dir}/state/`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  fs.mkdirSync(path.join(dir, 'state'));
  const started = performance.now();
  await run('mbsync', ['-q', '-c', rc, 'pull']);
  const ms = performance.now() - started;
  const local = path.join(dir, 'mail', folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder);
  let count = 0;
  let bytes = 0;
  for (const sub of ['cur', 'new']) {
    for (const f of fs.readdirSync(path.join(local, sub))) {
      count++;
      bytes += fs.statSync(path.join(local, sub, f)).size;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { ms, count, bytes };
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}: ${err.trim()}`))));
  });
}

// ---------------------------------------------------------------------------------------
// Delivery

export function smtpTransport(servers: MailServers, sender: MailUser) {
  return nodemailer.createTransport({
    host: 'localhost',
    port: servers.smtp.submissionPort,
    secure: false,
    requireTLS: true,
    auth: { user: sender.login, pass: sender.password },
    tls: { ca: servers.caCert },
    pool: true,
    maxConnections: 1,
  });
}

/** A small message with a unique subject, dated now. */
export function probeMessage(from: MailUser, to: MailUser, subject: string): string {
  return (
    `From: ${from.name} <${from.address}>\r\nTo: ${to.address}\r\nSubject: ${subject}\r\n` +
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@bench.example.test>\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPush latency probe.\r\n`
  );
}

export type Deliver = (subject: string) => Promise<number>;

/** SMTP submission from bob to `to`; resolves with the time the server accepted it (250 after DATA). */
export function smtpDeliverer(servers: MailServers, to: MailUser): { deliver: Deliver; close(): void } {
  const bob = servers.user('bob');
  const transport = smtpTransport(servers, bob);
  return {
    deliver: async (subject) => {
      await transport.sendMail({ envelope: { from: bob.address, to: [to.address] }, raw: probeMessage(bob, to, subject) });
      return Date.now();
    },
    close: () => transport.close(),
  };
}

/** APPEND by another client of the owner; resolves with the time of the APPEND's OK. */
export async function appendDeliverer(servers: MailServers, owner: MailUser, folder: string): Promise<{ deliver: Deliver; close(): Promise<void> }> {
  const client = imapClient(servers, owner);
  await client.connect();
  const bob = servers.user('bob');
  return {
    deliver: async (subject) => {
      await client.append(folder, probeMessage(bob, owner, subject));
      return Date.now();
    },
    close: async () => {
      await client.logout().catch(() => client.close());
    },
  };
}

/** Dovecot's IDLE delay: `samples` deliveries, each until EXISTS reaches a bare client idling in `folder`. */
export async function idleDelay(servers: MailServers, owner: MailUser, folder: string, deliver: Deliver, samples: number): Promise<number[]> {
  const client = imapClient(servers, owner);
  await client.connect();
  const out: number[] = [];
  try {
    // EXAMINE, as the engine's INBOX connection does.
    await client.mailboxOpen(folder, { readOnly: true });
    let onExists: (() => void) | null = null;
    client.on('exists', () => onExists?.());
    // One IDLE for the whole series, as a mail client keeps it: Dovecot answers a freshly
    // issued IDLE sooner than a long-running one, which would flatter the baseline.
    void client.idle().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
    for (let k = 0; k < samples; k++) {
      await new Promise((r) => setTimeout(r, 500 + Math.floor(Math.random() * 1000)));
      const seen = new Promise<number>((resolve) => (onExists = () => resolve(Date.now())));
      const accepted = await deliver(`Idle probe ${folder} ${k} ${Date.now()}`);
      const at = await withTimeout(seen, 30_000, 'EXISTS');
      onExists = null;
      out.push(Math.max(0, at - accepted));
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return out;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}
