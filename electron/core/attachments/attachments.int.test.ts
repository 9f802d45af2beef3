/**
 * Attachments against the real test IMAP server (Dovecot):
 *   npx tsx scripts/with-mail-servers.ts npx vitest run --project integration attachments
 * Messages are planted with doveadm; the part ids are the ones the body fetcher computes
 * (parseBody over the message's source), exactly as the reader receives them.
 */
import { randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadMailServersFromEnv, type MailUser } from '../../../e2e/mailserver/mailserver';
import { AttachmentContentSchema, RawMessageSchema, type Account, type AttachmentMeta } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { createLogger } from '../log';
import { parseBody } from '../sync/body-fetcher';
import { FOLDER_CHANGED } from './fetch-attachment';
import { AttachmentService } from './service';

const servers = loadMailServersFromEnv();
const alice = servers.user('alice');
const bob = servers.user('bob');
const lines: string[] = [];
const log = createLogger('test', (line) => {
  lines.push(line);
  if (process.env.PETREL_ATTACHMENTS_LOG) process.stderr.write(line);
});

function accountOf(user: MailUser): Account {
  return {
    id: `acct-${user.name}`,
    label: user.name,
    name: user.name,
    email: user.address,
    auth: { method: 'password' },
    imap: { host: servers.host, port: servers.imap.tlsPort, security: 'tls', username: user.login },
    smtp: { host: servers.host, port: servers.smtp.submissionPort, security: 'starttls', username: user.login },
    pins: [],
    color: '#336699',
    order: 0,
    identities: [{ id: 'main', name: user.name, email: user.address, signature: '' }],
    separateSmtpPassword: false,
    createdAt: 0,
  };
}

function service(maxBytes?: number): AttachmentService {
  const account = accountOf(alice);
  return new AttachmentService({
    accounts: { get: async () => account, secretsOf: async () => ({ password: alice.password }) },
    log,
    timeouts: { connectMs: 10_000, socketMs: 20_000 },
    ...(maxBytes !== undefined ? { maxBytes } : {}),
  });
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

function compose(options: Mail.Options): Promise<Buffer> {
  return new MailComposer({ from: bob.address, to: alice.address, date: new Date(), ...options }).compile().build();
}

interface Planted {
  uid: number;
  uidValidity: string;
  source: Buffer;
  attachments: AttachmentMeta[];
}

/** Saves a raw message into alice's INBOX; returns what the reader would know of it. */
async function plant(raw: Buffer | string, folder = 'INBOX'): Promise<Planted> {
  await servers.doveadm(['save', '-u', alice.login, '-m', folder], raw);
  return withImap(alice, async (c) => {
    const mb = await c.mailboxOpen(folder, { readOnly: true });
    const msg = await c.fetchOne('*', { uid: true, source: true });
    if (!msg || !msg.source) throw new Error('planted message not found');
    const uidValidity = mb.uidValidity.toString();
    const body = await parseBody({ accountId: 'acct-alice', path: folder, uidValidity, uid: msg.uid }, msg.source);
    return { uid: msg.uid, uidValidity, source: msg.source, attachments: body.attachments };
  });
}

const ref = (p: Planted, partId: string, path = 'INBOX') => ({ accountId: 'acct-alice', path, uidValidity: p.uidValidity, uid: p.uid, partId });

async function expectError(promise: Promise<unknown>, code: string, message?: RegExp | string): Promise<PetrelError> {
  const e = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PetrelError);
  expect((e as PetrelError).code).toBe(code);
  if (message !== undefined) expect((e as PetrelError).message).toMatch(message);
  return e as PetrelError;
}

beforeEach(async () => {
  lines.length = 0;
  await servers.resetUser('alice');
});

describe('messages.attachment against Dovecot', () => {
  it('returns both attachments byte for byte, by the part ids the body fetcher gives, without marking the message read', async () => {
    const binary = randomBytes(300_000);
    // Latin-1 text with a charset: must come back as the very bytes, not converted to UTF-8.
    const latin1 = Buffer.from('Grüße aus Köln — naïve café\r\nZeile zwei\r\n', 'latin1');
    const raw = await compose({
      subject: 'Two files',
      text: 'See the attachments.',
      html: '<p>See the <b>attachments</b>.</p>',
      attachments: [
        { filename: 'data.bin', content: binary, contentType: 'application/octet-stream' },
        { filename: 'Grüße.txt', content: latin1, contentType: 'text/plain; charset=iso-8859-1', contentTransferEncoding: 'quoted-printable' },
      ],
    });
    const p = await plant(raw);
    expect(p.attachments.map((a) => a.filename)).toEqual(['data.bin', 'Grüße.txt']);
    // IMAP part numbers: 1 is the multipart/alternative text, the files are 2 and 3.
    expect(p.attachments.map((a) => a.partId)).toEqual(['2', '3']);

    const svc = service();
    const [first, second] = await Promise.all(p.attachments.map((a) => svc.fetch(ref(p, a.partId))));
    expect(Buffer.from(first!.contentBase64, 'base64').equals(binary)).toBe(true);
    expect(first).toMatchObject({ filename: 'data.bin', contentType: 'application/octet-stream', size: binary.length });
    expect(Buffer.from(second!.contentBase64, 'base64').equals(latin1)).toBe(true);
    expect(second).toMatchObject({ filename: 'Grüße.txt', contentType: 'text/plain', size: latin1.length });
    // What goes over the wire passes the contract.
    expect(() => AttachmentContentSchema.parse(first)).not.toThrow();

    const flags = await withImap(alice, async (c) => {
      await c.mailboxOpen('INBOX', { readOnly: true });
      const m = await c.fetchOne(String(p.uid), { flags: true }, { uid: true });
      return m ? m.flags : undefined;
    });
    expect([...(flags ?? [])]).not.toContain('\\Seen');
  });

  it('finds attachments inside a forwarded message, and the body of a single-part message', async () => {
    const inner = randomBytes(5000);
    const forwarded = await compose({
      subject: 'Inner',
      text: 'inner text',
      attachments: [{ filename: 'inner.bin', content: inner }],
    });
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(2000)]);
    // An embedded message whose whole body is a file (no multipart): mailparser numbers
    // that part like its wrapper, IMAP does not; the engine must still hand over the file.
    const singleInner = Buffer.concat([
      Buffer.from(
        `From: ${bob.address}\r\nTo: ${alice.address}\r\nSubject: bare file\r\nMIME-Version: 1.0\r\n` +
          'Content-Type: application/pdf; name="bare.pdf"\r\nContent-Disposition: attachment; filename="bare.pdf"\r\n' +
          'Content-Transfer-Encoding: base64\r\n\r\n',
      ),
      Buffer.from(pdf.toString('base64').replace(/.{76}/g, '$&\r\n')),
      Buffer.from('\r\n'),
    ]);
    const raw = await compose({
      subject: 'Fwd: two kinds',
      text: 'forwarding',
      attachments: [
        { filename: 'forwarded.eml', content: forwarded, contentType: 'message/rfc822' },
        { filename: 'bare.eml', content: singleInner, contentType: 'message/rfc822' },
      ],
    });
    const p = await plant(raw);
    // Whatever mailparser lists, each comes back with the content mailparser sees.
    const { simpleParser } = await import('mailparser');
    const parsed = await simpleParser(p.source);
    expect(p.attachments.length).toBe(parsed.attachments.length);
    expect(p.attachments.length).toBeGreaterThan(0);
    // The forwarded messages are parts 2 and 3: inner.bin is IMAP part 2.2; the bare file is
    // numbered 3 by mailparser (its wrapper), which IMAP would call 3.1.
    expect(p.attachments.map((a) => [a.filename, a.partId])).toEqual([
      ['inner.bin', '2.2'],
      ['bare.pdf', '3'],
    ]);
    const svc = service();
    for (const [i, meta] of p.attachments.entries()) {
      const got = await svc.fetch(ref(p, meta.partId));
      const expected = parsed.attachments[i]!.content;
      expect(Buffer.from(got.contentBase64, 'base64').equals(expected), `${meta.filename} (${meta.partId})`).toBe(true);
    }
    expect(Buffer.from((await svc.fetch(ref(p, '2.2'))).contentBase64, 'base64').equals(inner)).toBe(true);
    const bare = await svc.fetch(ref(p, '3'));
    expect(bare).toMatchObject({ filename: 'bare.pdf', contentType: 'application/pdf' });
    expect(Buffer.from(bare.contentBase64, 'base64').equals(pdf)).toBe(true);

    expect(lines.join('')).toContain('parsing the whole message for part 3: an embedded message');
    expect(lines.join('')).not.toContain('for part 2.2');
    // A single-part message whose body is the file: part "1".
    const single = await plant(
      `From: ${bob.address}\r\nTo: ${alice.address}\r\nSubject: just a file\r\nMIME-Version: 1.0\r\n` +
        'Content-Type: application/pdf; name="only.pdf"\r\nContent-Disposition: attachment; filename="only.pdf"\r\n' +
        `Content-Transfer-Encoding: base64\r\n\r\n${pdf.toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`,
    );
    expect(single.attachments.map((a) => a.partId)).toEqual(['1']);
    const only = await svc.fetch(ref(single, '1'));
    expect(only).toMatchObject({ filename: 'only.pdf', contentType: 'application/pdf' });
    expect(Buffer.from(only.contentBase64, 'base64').equals(pdf)).toBe(true);
  });

  it('refuses a changed folder, a gone message, an unknown part and too large a file with clear errors', async () => {
    const big = randomBytes(200_000);
    const p = await plant(await compose({ subject: 'Big', text: 'big', attachments: [{ filename: 'big.bin', content: big }] }));
    const partId = p.attachments[0]!.partId;
    const svc = service();

    await expectError(svc.fetch({ ...ref(p, partId), uidValidity: String(BigInt(p.uidValidity) + 1n) }), 'NOT_FOUND', FOLDER_CHANGED);
    await expectError(svc.fetch(ref(p, '7')), 'NOT_FOUND', /no such attachment/);
    await expectError(svc.fetch(ref(p, 'idx:5')), 'NOT_FOUND', /no such attachment/);
    await expectError(svc.fetch({ ...ref(p, partId), uid: p.uid + 100 }), 'NOT_FOUND', /no longer on the server/);
    await expectError(svc.fetch({ ...ref(p, partId), path: 'Nowhere' }), 'NOT_FOUND', /Nowhere/);

    // Known too large from BODYSTRUCTURE already, and found out while downloading.
    const tooBig = await expectError(service(100_000).fetch(ref(p, partId)), 'MESSAGE_TOO_LARGE', /larger than the 0\.1 MB/);
    expect(tooBig.details).toMatchObject({ limit: 100_000 });
    await expectError(service(big.length - 1).fetch(ref(p, partId)), 'MESSAGE_TOO_LARGE');
    const exact = await service(big.length).fetch(ref(p, partId));
    expect(Buffer.from(exact.contentBase64, 'base64').equals(big)).toBe(true);

    // A wrong password is the server's answer, mapped.
    const account = accountOf(alice);
    const wrong = new AttachmentService({ accounts: { get: async () => account, secretsOf: async () => ({ password: 'nope' }) }, log });
    await expectError(wrong.fetch(ref(p, partId)), 'AUTH_FAILED');
  });

  it('a cancelled request closes its connection and says so', async () => {
    const p = await plant(await compose({ subject: 'x', text: 'x', attachments: [{ filename: 'a.bin', content: randomBytes(1000) }] }));
    const ac = new AbortController();
    const run = service().fetch(ref(p, p.attachments[0]!.partId), ac.signal);
    ac.abort();
    await expectError(run, 'CANCELLED');
  });
});

describe('messages.raw against Dovecot', () => {
  function rawService(maxRawBytes?: number): AttachmentService {
    const account = accountOf(alice);
    return new AttachmentService({
      accounts: { get: async () => account, secretsOf: async () => ({ password: alice.password }) },
      log,
      timeouts: { connectMs: 10_000, socketMs: 20_000 },
      ...(maxRawBytes !== undefined ? { maxRawBytes } : {}),
    });
  }
  const rawRef = (p: Planted) => ({ accountId: 'acct-alice', path: 'INBOX', uidValidity: p.uidValidity, uid: p.uid });

  it('returns the whole message byte for byte, within the contract, without marking it read', async () => {
    const raw = await compose({ subject: 'Whole', text: 'Grüße, whole message', attachments: [{ filename: 'x.bin', content: randomBytes(40_000) }] });
    const p = await plant(raw);
    const got = await rawService().raw(rawRef(p));
    expect(() => RawMessageSchema.parse(got)).not.toThrow();
    expect(Buffer.from(got.contentBase64, 'base64').equals(p.source)).toBe(true);
    expect(got.size).toBe(p.source.length);
    const flags = await withImap(alice, async (c) => {
      await c.mailboxOpen('INBOX', { readOnly: true });
      const m = await c.fetchOne(String(p.uid), { flags: true }, { uid: true });
      return m ? m.flags : undefined;
    });
    expect([...(flags ?? [])]).not.toContain('\\Seen');
  });

  it('refuses a message over the limit, a message that is gone and a recreated folder', async () => {
    const p = await plant(await compose({ subject: 'Big', text: 'x'.repeat(20_000) }));
    await expectError(rawService(10_000).raw(rawRef(p)), 'MESSAGE_TOO_LARGE', /larger than/);
    await expectError(rawService().raw({ ...rawRef(p), uid: p.uid + 100 }), 'NOT_FOUND', /no longer on the server/);
    await expectError(rawService().raw({ ...rawRef(p), uidValidity: '1' }), 'NOT_FOUND', FOLDER_CHANGED);
  });
});
