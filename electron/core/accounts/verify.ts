import { ImapFlow } from 'imapflow';
import type { AccountDraft, CheckResult, ServerSettings, VerifyResult } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { imapClientOptions } from '../imap/client-options';
import { smtpConnection } from '../lazy-modules';
import { inspectCertificate } from '../net/inspect-certificate';
import { mapServerError, type ServerRef } from '../net/map-error';
import { tlsOptionsFor } from '../net/tls-trust';

export interface Secrets {
  password: string;
  smtpPassword?: string | undefined;
}

/** Checks both servers in parallel: IMAP login, and SMTP EHLO + AUTH. Saves nothing. */
export async function verifyAccount(draft: AccountDraft, secrets: Secrets, timeoutMs = 20_000): Promise<VerifyResult> {
  const [imap, smtp] = await Promise.all([
    check(() => verifyImap(draft, secrets.password, timeoutMs), ref('IMAP', draft.imap), draft.imap, 'imap'),
    check(
      () => verifySmtp(draft, secrets.smtpPassword ?? secrets.password, timeoutMs),
      ref('SMTP', draft.smtp),
      draft.smtp,
      'smtp',
    ),
  ]);
  return { imap, smtp };
}

function ref(protocol: ServerRef['protocol'], s: ServerSettings): ServerRef {
  return { protocol, host: s.host, port: s.port };
}

async function check(
  run: () => Promise<string | undefined>,
  server: ServerRef,
  settings: ServerSettings,
  protocol: 'imap' | 'smtp',
): Promise<CheckResult> {
  try {
    const detail = await run();
    return detail === undefined ? { ok: true } : { ok: true, detail };
  } catch (e) {
    const error = mapServerError(e, server);
    if (error.code === 'CERT_UNTRUSTED' && settings.security !== 'none') {
      return { ok: false, error: (await describeUntrusted(error, settings, protocol)).toData() };
    }
    return { ok: false, error: error.toData() };
  }
}

/** Adds what the person needs to decide: host, issuer, validity, SHA-256 fingerprint. */
async function describeUntrusted(
  error: PetrelError,
  s: ServerSettings,
  protocol: 'imap' | 'smtp',
): Promise<PetrelError> {
  try {
    const facts = await inspectCertificate(s.host, s.port, s.security === 'tls' ? 'tls' : 'starttls', protocol);
    return new PetrelError(
      'CERT_UNTRUSTED',
      `The certificate of ${s.host}:${s.port} is not trusted (${facts.reason}). Trust it only if you know this server uses it; compare its fingerprint with one your provider gives you.`,
      { ...facts },
    );
  } catch {
    return error;
  }
}

async function verifyImap(draft: AccountDraft, password: string, timeoutMs: number): Promise<string | undefined> {
  const client = new ImapFlow(
    imapClientOptions(draft.imap, { password }, draft.pins, {
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
    }),
  );
  // An unhandled 'error' event would crash the engine.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const caps = [...client.capabilities.keys()];
    return caps.length > 0 ? undefined : 'no capabilities';
  } finally {
    client.close();
  }
}

/**
 * EHLO, STARTTLS when asked, AUTH, QUIT: the steps of a submission up to the message, on
 * nodemailer's SMTPConnection as the outbox uses it (outbox/smtp.ts). A server that offers no
 * sign-in over this connection is refused here as the outbox would refuse it later.
 */
async function verifySmtp(draft: AccountDraft, password: string, timeoutMs: number): Promise<string | undefined> {
  const s = draft.smtp;
  const Connection = await smtpConnection();
  const conn = new Connection({
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    ignoreTLS: s.security === 'none',
    tls: tlsOptionsFor(s.host, s.port, draft.pins),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
    debug: false,
  });
  // Failures come as an 'error' event and to the pending callback: the first settles the step.
  let fail: (e: unknown) => void = () => undefined;
  conn.on('error', (e: unknown) => fail(e));
  const step = (run: (done: (err?: unknown) => void) => void) =>
    new Promise<void>((resolve, reject) => {
      fail = reject;
      run((err) => (err ? reject(err) : resolve()));
    });
  try {
    await step((done) => conn.connect((err) => done(err)));
    if (!conn.allowsAuth) {
      const fix = s.security === 'none' ? ' unencrypted; choose STARTTLS or SSL/TLS for it' : ' over this connection, so Petrel cannot send through it';
      throw new PetrelError('NO_AUTH_MECHANISM', `The SMTP server ${s.host}:${s.port} offers no sign-in${fix}.`);
    }
    await step((done) => conn.login({ user: s.username, pass: password }, (err) => done(err)));
    conn.quit();
    return undefined;
  } catch (e) {
    conn.close();
    throw e;
  }
}
