/**
 * Sending against the real test servers (Postfix submission, Dovecot IMAP):
 *   npx tsx scripts/with-mail-servers.ts npx vitest run --project integration outbox
 * Copies are counted by Message-ID with IMAP SEARCH HEADER, at the recipient and in Sent.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMailServersFromEnv, type MailUser } from '../../../e2e/mailserver/mailserver';
import {
  ComposeInputSchema,
  SubmitParamsSchema,
  type Account,
  type ComposeInputIn,
  type SubmitParamsIn,
} from '../../../shared/contract';
import { createLogger } from '../log';
import { OutboxService, type OutboxServiceDeps } from './service';

const servers = loadMailServersFromEnv();
const alice = servers.user('alice');
const bob = servers.user('bob');
const carol = servers.user('carol');
const log = createLogger('test', (line) => {
  if (process.env.PETREL_OUTBOX_LOG) process.stderr.write(line);
});

function accountOf(user: MailUser, smtp: Partial<Account['smtp']> = {}): Account {
  return {
    id: `acct-${user.name}`,
    label: user.name,
    name: user.name,
    email: user.address,
    auth: { method: 'password' },
    imap: { host: servers.host, port: servers.imap.tlsPort, security: 'tls', username: user.login },
    smtp: { host: servers.host, port: servers.smtp.submissionPort, security: 'starttls', username: user.login, ...smtp },
    pins: [],
    color: '#336699',
    order: 0,
    identities: [{ id: 'main', name: `${user.name[0]!.toUpperCase()}${user.name.slice(1)} Example`, email: user.address, signature: '' }],
    separateSmtpPassword: false,
    createdAt: 0,
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'petrel-outbox-int-'));
  await Promise.all([servers.resetUser('alice'), servers.resetUser('bob'), servers.resetUser('carol')]);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function service(
  account = accountOf(alice),
  secrets: { password: string; smtpPassword?: string } = { password: alice.password },
  extra: Partial<OutboxServiceDeps> = {},
): OutboxService {
  return new OutboxService({
    dataDir: dir,
    log,
    accounts: { get: async () => account, secretsOf: async () => secrets },
    crashAfterSubmit: false,
    timeouts: { connectMs: 10_000, socketMs: 20_000 },
    ...extra,
  });
}

function compose(o: Partial<ComposeInputIn> = {}) {
  return ComposeInputSchema.parse({
    accountId: 'acct-alice',
    identityId: 'main',
    to: [{ name: 'Bob Example', address: bob.address }],
    subject: 'Über den Wolken',
    text: 'Hello Bob.',
    ...o,
  });
}

async function built(svc: OutboxService, o: Partial<ComposeInputIn> = {}) {
  const b = await svc.build(compose(o));
  return {
    ...b,
    params: (p: Partial<SubmitParamsIn> = {}) =>
      SubmitParamsSchema.parse({ accountId: 'acct-alice', messageId: b.messageId, raw: b.raw, envelope: b.envelope, ...p }),
  };
}

async function withImap<T>(user: MailUser, use: (c: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({
    host: servers.host,
    port: servers.imap.tlsPort,
    secure: true,
    auth: { user: user.login, pass: user.password },
    tls: { ca: servers.caCert },
    logger: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** UIDs of the messages with this Message-ID in the user's folder. */
function find(user: MailUser, folder: string, messageId: string): Promise<number[]> {
  return withImap(user, async (c) => {
    const lock = await c.getMailboxLock(folder, { readOnly: true });
    try {
      return (await c.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
    } finally {
      lock.release();
    }
  });
}

async function count(user: MailUser, folder: string, messageId: string): Promise<number> {
  return (await find(user, folder, messageId)).length;
}

/** Waits until the message arrived, then a little longer, so a duplicate would show. */
async function settledCount(user: MailUser, folder: string, messageId: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while ((await count(user, folder, messageId)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 150));
  await new Promise((r) => setTimeout(r, 1000));
  return count(user, folder, messageId);
}

async function fetchRaw(user: MailUser, folder: string, uid: number): Promise<{ source: Buffer; flags: Set<string> }> {
  return withImap(user, async (c) => {
    const lock = await c.getMailboxLock(folder, { readOnly: true });
    try {
      const m = await c.fetchOne(String(uid), { source: true, flags: true }, { uid: true });
      if (!m || !m.source) throw new Error('message not found');
      return { source: m.source, flags: m.flags ?? new Set() };
    } finally {
      lock.release();
    }
  });
}

describe('sending through the real servers', () => {
  it('alice sends bob two attachments: they arrive byte-identical; one copy in Sent, \\Seen', async () => {
    const svc = service();
    const pdfish = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + (i >> 8)) % 256));
    const text = Buffer.from('Zeile 1\r\nZeile 2 – größer\r\n'.repeat(50), 'utf8');
    const m = await built(svc, {
      cc: [{ name: '', address: carol.address }],
      html: '<p>Hello <b>Bob</b></p>',
      text: '',
      attachments: [
        { filename: 'figures.bin', contentType: 'application/octet-stream', contentBase64: pdfish.toString('base64') },
        { filename: 'notes – ä.txt', contentType: 'text/plain', contentBase64: text.toString('base64') },
      ],
    });
    const res = await svc.submit(m.params());
    expect(res).toEqual({ state: 'sent', filedInSent: true, rejected: [], draftRemoved: false });

    expect(await settledCount(bob, 'INBOX', m.messageId)).toBe(1);
    expect(await settledCount(carol, 'INBOX', m.messageId)).toBe(1);
    const [uid] = await find(bob, 'INBOX', m.messageId);
    const parsed = await simpleParser((await fetchRaw(bob, 'INBOX', uid!)).source);
    expect(parsed.subject).toBe('Über den Wolken');
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['figures.bin', 'notes – ä.txt']);
    expect(parsed.attachments[0]!.content.equals(pdfish)).toBe(true);
    expect(parsed.attachments[1]!.content.equals(text)).toBe(true);
    expect(parsed.text?.trim()).toBe('Hello Bob');

    const sent = await find(alice, 'Sent', m.messageId);
    expect(sent).toHaveLength(1);
    const copy = await fetchRaw(alice, 'Sent', sent[0]!);
    expect(copy.flags.has('\\Seen')).toBe(true);
    // The Sent copy is the built message, byte for byte.
    expect(copy.source.equals(Buffer.from(m.raw, 'base64'))).toBe(true);
  });

  it('sends over implicit TLS (465-style) too', async () => {
    const svc = service(accountOf(alice, { port: servers.smtp.tlsPort, security: 'tls' }));
    const m = await built(svc);
    expect(await svc.submit(m.params())).toMatchObject({ state: 'sent', filedInSent: true });
    expect(await settledCount(bob, 'INBOX', m.messageId)).toBe(1);
  });

  it('submitting the same Message-ID twice (and after a restart) leaves one copy at bob and one in Sent', async () => {
    const svc = service();
    const m = await built(svc);
    await svc.submit(m.params());
    await svc.submit(m.params());
    await service().submit(m.params());
    expect(await settledCount(bob, 'INBOX', m.messageId)).toBe(1);
    expect(await count(alice, 'Sent', m.messageId)).toBe(1);
    expect(await svc.status('acct-alice', m.messageId)).toEqual({ journal: 'filed', inFlight: false, inSent: true });
  });

  it('a crash after submission: the restarted engine files the Sent copy and does not send again', async () => {
    const crashing = service(undefined, undefined, {
      crashAfterSubmit: true,
      exit: () => {
        throw new Error('killed');
      },
    });
    const m = await built(crashing);
    await expect(crashing.submit(m.params())).rejects.toThrow('killed');
    expect(await settledCount(bob, 'INBOX', m.messageId)).toBe(1);
    expect(await count(alice, 'Sent', m.messageId)).toBe(0);

    const restarted = service();
    expect(await restarted.status('acct-alice', m.messageId)).toEqual({ journal: 'submitted', inFlight: false, inSent: false });
    expect(await restarted.submit(m.params())).toMatchObject({ state: 'sent', filedInSent: true });
    expect(await settledCount(bob, 'INBOX', m.messageId)).toBe(1);
    expect(await count(alice, 'Sent', m.messageId)).toBe(1);
  });

  it('an interrupted submission whose message is already in Sent is done, not sent again', async () => {
    const svc = service();
    const m = await built(svc);
    // As if the engine died mid-DATA and the server filed the message itself.
    await svc.journal.set(m.messageId, { accountId: 'acct-alice', state: 'submitting' });
    await withImap(alice, (c) => c.append('Sent', Buffer.from(m.raw, 'base64'), ['\\Seen']));
    expect(await svc.submit(m.params())).toMatchObject({ state: 'sent', filedInSent: true });
    expect(await count(alice, 'Sent', m.messageId)).toBe(1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await count(bob, 'INBOX', m.messageId)).toBe(0);
  });

  it('an interrupted submission not found in Sent is SEND_UNCERTAIN', async () => {
    const svc = service();
    const m = await built(svc);
    await svc.journal.set(m.messageId, { accountId: 'acct-alice', state: 'submitting' });
    expect(await svc.status('acct-alice', m.messageId)).toEqual({ journal: 'submitting', inFlight: false, inSent: false });
    await expect(svc.submit(m.params())).rejects.toMatchObject({ code: 'SEND_UNCERTAIN' });
    expect(await svc.submit(m.params({ resend: true }))).toMatchObject({ state: 'sent' });
    expect(await settledCount(bob, 'INBOX', m.messageId)).toBe(1);
  });

  it('a wrong SMTP password is AUTH_FAILED; nothing is sent or recorded', async () => {
    const svc = service({ ...accountOf(alice), separateSmtpPassword: true }, { password: alice.password, smtpPassword: 'wrong' });
    const m = await built(svc);
    await expect(svc.submit(m.params())).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(await svc.journal.get(m.messageId)).toBeUndefined();
    expect(await svc.status('acct-alice', m.messageId)).toEqual({ journal: null, inFlight: false, inSent: false });
  });

  it('an unknown recipient is RECIPIENT_REJECTED with the server’s words', async () => {
    const svc = service();
    const m = await built(svc, { to: [{ name: '', address: 'nobody@example.test' }] });
    const error = await svc.submit(m.params()).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'RECIPIENT_REJECTED',
      message: expect.stringMatching(/nobody@example\.test.*Recipient address rejected/),
      details: { recipients: [{ address: 'nobody@example.test', response: expect.stringMatching(/^550 /) }] },
    });
    expect(await svc.journal.get(m.messageId)).toBeUndefined();
  });

  it('with one unknown recipient among known ones, sends to the others and names the refused one', async () => {
    const svc = service();
    const m = await built(svc, { to: [{ name: '', address: bob.address }, { name: '', address: 'nobody@example.test' }] });
    const res = await svc.submit(m.params());
    expect(res.state).toBe('sent');
    expect(res.rejected).toEqual([{ address: 'nobody@example.test', response: expect.stringContaining('Recipient address rejected') }]);
    expect(await settledCount(bob, 'INBOX', m.messageId)).toBe(1);
  });
});

describe('drafts on the server', () => {
  it('saving twice leaves only the newest draft, with \\Draft, and Bcc kept', async () => {
    const svc = service();
    const first = await svc.saveDraft(compose({ subject: 'Draft one' }), undefined);
    expect(first).toMatchObject({ accountId: 'acct-alice', path: 'Drafts', uid: expect.any(Number) });
    const second = await svc.saveDraft(compose({ subject: 'Draft two', bcc: [{ name: '', address: carol.address }] }), first);
    expect(second.uid).not.toBe(first.uid);
    const all = await withImap(alice, async (c) => {
      const lock = await c.getMailboxLock('Drafts', { readOnly: true });
      try {
        const out = [];
        for await (const msg of c.fetch('1:*', { envelope: true, flags: true, source: true })) out.push(msg);
        return out;
      } finally {
        lock.release();
      }
    });
    expect(all.map((msg) => msg.envelope?.subject)).toEqual(['Draft two']);
    expect(all[0]!.flags?.has('\\Draft')).toBe(true);
    expect(all[0]!.source?.toString('latin1')).toMatch(/^Bcc: carol@example\.test$/m);

    expect(await svc.removeDraft(second)).toBe(true);
    expect(await svc.removeDraft(second)).toBe(false);
    expect(await count(alice, 'Drafts', second.messageId)).toBe(0);
  });

  it('a message sent from a draft removes the draft', async () => {
    const svc = service();
    const draft = await svc.saveDraft(compose(), undefined);
    const m = await built(svc);
    const res = await svc.submit(m.params({ draft }));
    expect(res).toMatchObject({ state: 'sent', draftRemoved: true });
    expect(await count(alice, 'Drafts', draft.messageId)).toBe(0);
  });

  it('does not remove anything when the folder was recreated (another UIDVALIDITY)', async () => {
    const svc = service();
    const draft = await svc.saveDraft(compose(), undefined);
    expect(await svc.removeDraft({ ...draft, uidValidity: '1' })).toBe(false);
    expect(await count(alice, 'Drafts', draft.messageId)).toBe(1);
  });
});
