/**
 * Proves the test mail servers (e2e/mailserver) do what the other integration tests rely
 * on: verified TLS, STARTTLS, special-use folders, authenticated submission, delivery,
 * and the helpers that reset mailboxes and restart Dovecot. Run with
 *   npx tsx scripts/with-mail-servers.ts npx vitest run --project integration
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import nodemailer from 'nodemailer';
import {
  SPECIAL_USE_FOLDERS,
  createTestCa,
  imapCapabilityWithout,
  loadMailServersFromEnv,
  type MailUser,
} from '../../e2e/mailserver/mailserver';

// Throws (failing this file) when the servers are not running.
const servers = loadMailServersFromEnv();
const alice = servers.user('alice');
const bob = servers.user('bob');

function imapClient(user: MailUser, options: Partial<ImapFlowOptions> = {}): ImapFlow {
  const client = new ImapFlow({
    host: servers.host,
    port: servers.imap.tlsPort,
    secure: true,
    auth: { user: user.login, pass: user.password },
    // Our CA explicitly, not only NODE_EXTRA_CA_CERTS: the test must not depend on how it was started.
    tls: { ca: servers.caCert },
    logger: false,
    ...options,
  });
  // Errors also reject the pending call; an unhandled 'error' event would crash the run.
  client.on('error', () => undefined);
  return client;
}

async function withImap<T>(user: MailUser, use: (client: ImapFlow) => Promise<T>, options?: Partial<ImapFlowOptions>): Promise<T> {
  const client = imapClient(user, options);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Polls the user's INBOX until a message with this Message-ID arrives. */
async function waitForMessage(user: MailUser, messageId: string, timeoutMs = 10_000): Promise<{ subject?: string; messageId?: string }> {
  return withImap(user, async (client) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await client.mailboxOpen('INBOX', { readOnly: true });
      const uids = await client.search({ header: { 'message-id': messageId } }, { uid: true });
      const uid = uids ? uids[0] : undefined;
      if (uid !== undefined) {
        const message = await client.fetchOne(String(uid), { envelope: true }, { uid: true });
        if (message && message.envelope) return { subject: message.envelope.subject, messageId: message.envelope.messageId };
      }
      if (Date.now() > deadline) throw new Error(`${messageId} did not arrive in ${user.address}'s INBOX within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
}

function newMessageId(): string {
  return `<${randomUUID()}@${servers.domain}>`;
}

function submissionTransport(port: number, secure: boolean, password = alice.password) {
  return nodemailer.createTransport({
    host: servers.host,
    port,
    secure,
    requireTLS: true,
    auth: { user: alice.login, pass: password },
    tls: { ca: servers.caCert },
  });
}

/** Sends raw IMAP commands one by one (each after the previous one completed) and returns the transcript. */
async function rawImap(host: string, port: number, commands: string[]): Promise<string> {
  const socket = net.connect({ host, port });
  let transcript = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (transcript += chunk));
  const until = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(transcript)) return;
        cleanup();
        resolve();
      };
      const fail = (error: Error) => {
        cleanup();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`No ${pattern} in: ${transcript}`)), 5000);
      const cleanup = () => {
        clearTimeout(timer);
        socket.off('data', check);
        socket.off('error', fail);
      };
      socket.on('data', check);
      socket.on('error', fail);
      check();
    });
  try {
    await until(/^\* OK.*\r\n/m);
    for (const [i, command] of commands.entries()) {
      socket.write(`t${i} ${command}\r\n`);
      await until(new RegExp(`^t${i} (OK|NO|BAD).*\\r\\n`, 'm'));
    }
    return transcript;
  } finally {
    socket.destroy();
  }
}

describe('test mail servers', () => {
  let otherCa: string;
  let otherCaDir: string;

  beforeAll(async () => {
    await Promise.all(servers.users.map((u) => servers.resetUser(u.name)));
    otherCaDir = await mkdtemp(path.join(os.tmpdir(), 'petrel-other-ca-'));
    otherCa = (await createTestCa(otherCaDir, 'Some Other CA')).cert;
  });

  afterAll(async () => {
    await rm(otherCaDir, { recursive: true, force: true });
  });

  it('serves IMAP over verified implicit TLS with the special-use folders', async () => {
    await withImap(alice, async (client) => {
      expect(client.tls && client.tls.authorized).toBe(true);
      const folders = await client.list();
      const byPath = new Map(folders.map((f) => [f.path, f]));
      expect(byPath.has('INBOX')).toBe(true);
      for (const [name, flag] of Object.entries(SPECIAL_USE_FOLDERS)) {
        const folder = byPath.get(name);
        expect(folder?.specialUse, name).toBe(flag);
        // From the server's SPECIAL-USE flags, not guessed from the name.
        expect(folder?.specialUseSource, name).toBe('extension');
        expect(folder?.flags.has('\\NonExistent'), name).toBe(false);
      }
    });
  });

  it('fails certificate verification against a CA that did not sign the server certificate', async () => {
    // `ca` replaces the whole trust list (NODE_EXTRA_CA_CERTS included).
    const client = imapClient(alice, { tls: { ca: otherCa } });
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    await client.logout().catch(() => client.close());
    expect(error?.code).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
  });

  it('fails certificate verification for a name the certificate does not cover', async () => {
    const client = imapClient(alice, { host: '127.0.0.1', servername: 'mail.example.com' });
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    await client.logout().catch(() => client.close());
    expect(error?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('rejects a wrong IMAP password, without slowing down the next login', async () => {
    const client = imapClient({ ...alice, password: 'not-the-password' });
    await expect(client.connect()).rejects.toMatchObject({ authenticationFailed: true });
    await client.logout().catch(() => client.close());
    // Dovecot's auth penalty (2 to 15 s for every login from the same IP) is switched off:
    // the next good login still succeeds (its speed is not asserted; tests assert behaviour).
    await withImap(alice, async () => undefined);
  });

  it('upgrades the plain IMAP port with STARTTLS', async () => {
    await withImap(
      alice,
      async (client) => {
        expect(client.tls && client.tls.authorized).toBe(true);
        expect(client.authenticated).toBeTruthy();
      },
      { port: servers.imap.starttlsPort, secure: false, doSTARTTLS: true },
    );
  });

  it('refuses a password before STARTTLS on the strict IMAP address', async () => {
    const transcript = await rawImap(servers.imap.strictHost, servers.imap.starttlsPort, [
      'CAPABILITY',
      `LOGIN ${alice.login} ${alice.password}`,
    ]);
    expect(transcript).toMatch(/^\* CAPABILITY .*\bSTARTTLS\b.*\bLOGINDISABLED\b/m);
    expect(transcript).toMatch(/^t1 NO /m);
    // ...and STARTTLS there verifies against the test CA like everywhere else.
    await withImap(alice, async (client) => expect(client.tls && client.tls.authorized).toBe(true), {
      host: servers.imap.strictHost,
      port: servers.imap.starttlsPort,
      secure: false,
      doSTARTTLS: true,
    });
  });

  it('accepts authenticated submission over STARTTLS and delivers to the INBOX', async () => {
    const messageId = newMessageId();
    const subject = `Submission test ${messageId}`;
    const info = await submissionTransport(servers.smtp.submissionPort, false).sendMail({
      from: alice.address,
      to: bob.address,
      subject,
      text: 'Hello Bob',
      messageId,
    });
    expect(info.accepted).toEqual([bob.address]);
    const arrived = await waitForMessage(bob, messageId);
    expect(arrived).toEqual({ subject, messageId });
  });

  it('accepts authenticated submission over implicit TLS', async () => {
    const messageId = newMessageId();
    const info = await submissionTransport(servers.smtp.tlsPort, true).sendMail({
      from: alice.address,
      to: bob.address,
      subject: 'Implicit TLS',
      text: 'Hello again',
      messageId,
    });
    expect(info.accepted).toEqual([bob.address]);
    expect((await waitForMessage(bob, messageId)).subject).toBe('Implicit TLS');
  });

  it('rejects a wrong password and unauthenticated submission', async () => {
    const wrong = submissionTransport(servers.smtp.submissionPort, false, 'not-the-password');
    await expect(wrong.sendMail({ from: alice.address, to: bob.address, text: 'x' })).rejects.toMatchObject({ code: 'EAUTH' });
    const anonymous = nodemailer.createTransport({
      host: servers.host,
      port: servers.smtp.submissionPort,
      secure: false,
      requireTLS: true,
      tls: { ca: servers.caCert },
    });
    await expect(anonymous.sendMail({ from: alice.address, to: bob.address, text: 'x' })).rejects.toMatchObject({ code: 'EENVELOPE' });
  });

  it('resetUser empties every folder and removes extra ones', async () => {
    await servers.doveadm(['save', '-u', bob.login, '-m', 'Archive'], `From: x@example.test\r\nSubject: old\r\nMessage-ID: ${newMessageId()}\r\n\r\nold\r\n`);
    await withImap(bob, async (client) => {
      await client.mailboxCreate(['Projects', '2024']);
      expect((await client.list()).map((f) => f.path)).toContain('Projects/2024');
    });
    const before = await servers.doveadm(['mailbox', 'status', '-u', bob.login, 'messages', 'Archive']);
    expect(before).toMatch(/\bmessages=1\b/);

    await servers.resetUser('bob');

    await withImap(bob, async (client) => {
      const folders = (await client.list()).map((f) => f.path).sort();
      expect(folders).toEqual(['INBOX', ...Object.keys(SPECIAL_USE_FOLDERS)].sort());
      for (const folder of folders) expect(await client.status(folder, { messages: true }), folder).toMatchObject({ messages: 0 });
    });
  });

  describe('restartDovecot', () => {
    let reduced = false;
    afterAll(async () => {
      // Later test files must see the full capability list even if this test failed half-way.
      if (reduced) await servers.restartDovecot({ imapCapability: null });
    });

    it('restarts with a reduced capability list and back', async () => {
      const hidden = ['IDLE', 'CONDSTORE', 'QRESYNC', 'MOVE'];
      reduced = true;
      await servers.restartDovecot({ imapCapability: imapCapabilityWithout(hidden) });
      await withImap(alice, async (client) => {
        for (const capability of hidden) expect(client.capabilities.has(capability), capability).toBe(false);
        expect(client.capabilities.has('SPECIAL-USE')).toBe(true);
      });
      await servers.restartDovecot({ imapCapability: null });
      reduced = false;
      await withImap(alice, async (client) => {
        for (const capability of hidden) expect(client.capabilities.has(capability), capability).toBe(true);
      });
    });
  });
});
