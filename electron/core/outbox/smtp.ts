/**
 * One SMTP submission on its own connection: connect (TLS from the start, or STARTTLS that
 * must succeed), authenticate, MAIL FROM / RCPT TO / DATA, the message, QUIT.
 *
 * nodemailer's SMTPConnection is used directly rather than a transport, so we know exactly
 * how far a failed submission got. `beforeBody` runs (and is awaited) after the server
 * accepted DATA and before the first byte of the message goes out: the outbox records
 * 'submitting' there. A failure after the whole body was handed over, without a reply from the
 * server, is *uncertain*: the server may have accepted it just before the connection broke.
 */
import { Readable } from 'node:stream';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { CertificatePin, Envelope, RejectedRecipient, ServerSettings } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { smtpConnection } from '../lazy-modules';
import { tlsOptionsFor } from '../net/tls-trust';
import { serverWords } from './send-errors';

export interface SmtpSubmission {
  server: ServerSettings;
  pins: readonly CertificatePin[];
  password: string;
  envelope: Envelope;
  raw: Buffer;
  beforeBody: () => Promise<void>;
  timeouts?: { connectMs?: number; socketMs?: number };
}

export interface SmtpOutcome {
  accepted: string[];
  rejected: RejectedRecipient[];
  response: string;
}

/** A failed submission and how far it got. */
export class SmtpSendError extends Error {
  override readonly name = 'SmtpSendError';
  constructor(
    override readonly cause: unknown,
    /** The body started going out (so 'submitting' was recorded). */
    readonly bodyStarted: boolean,
    /** The server may have accepted the message: all of it went out and no reply came. */
    readonly uncertain: boolean,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** The EHLO name: an address literal, so the machine's own name is not given away. */
const EHLO_NAME = '[127.0.0.1]';

export async function submitOverSmtp(s: SmtpSubmission): Promise<SmtpOutcome> {
  const connectMs = s.timeouts?.connectMs ?? 30_000;
  const Connection = await smtpConnection();
  const conn = new Connection({
    host: s.server.host,
    port: s.server.port,
    secure: s.server.security === 'tls',
    requireTLS: s.server.security === 'starttls',
    ignoreTLS: s.server.security === 'none',
    tls: tlsOptionsFor(s.server.host, s.server.port, s.pins),
    name: EHLO_NAME,
    connectionTimeout: connectMs,
    greetingTimeout: connectMs,
    socketTimeout: s.timeouts?.socketMs ?? 120_000,
    logger: false,
    debug: false,
  });
  let bodyStarted = false;
  let bodyEnded = false;
  // The connection reports failures both as an 'error' event and to the pending callback;
  // whichever comes first settles the step in progress.
  let fail: (e: unknown) => void = () => undefined;
  conn.on('error', (e: unknown) => fail(e));
  const step = <T>(run: (done: (err: unknown, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      fail = reject;
      run((err, value) => (err ? reject(err) : resolve(value as T)));
    });

  try {
    await step<void>((done) => conn.connect((err) => done(err ?? null)));
    if (!conn.allowsAuth) {
      throw new PetrelError(
        'NO_AUTH_MECHANISM',
        `The SMTP server ${s.server.host}:${s.server.port} offers no sign-in over this connection, so Petrel cannot send through it.`,
      );
    }
    await step<boolean>((done) => conn.login({ user: s.server.username, pass: s.password }, (err, ok) => done(err, ok)));

    let started = false;
    let storageError: unknown;
    const body = new Readable({
      read() {
        if (started) return;
        started = true;
        s.beforeBody().then(
          () => {
            bodyStarted = true;
            this.push(s.raw);
            this.push(null);
          },
          (e: unknown) => {
            // nodemailer rewrites the error it is given (its code): hand it a stand-in.
            storageError = e;
            this.destroy(new Error('could not record the submission'));
          },
        );
      },
    });
    body.once('end', () => {
      bodyEnded = true;
    });
    const info = await step<SMTPConnection.SentMessageInfo>((done) =>
      conn.send({ from: s.envelope.from, to: s.envelope.to, size: s.raw.length }, body, (err, value) => done(err, value)),
    ).catch((e: unknown) => {
      // The journal could not be written: nothing went out. Say that, not "stream error".
      throw storageError ?? e;
    });
    const rejected = (info.rejectedErrors ?? []).map((r) => ({
      address: String((r as { recipient?: unknown }).recipient ?? ''),
      response: serverWords(r) ?? '',
    }));
    conn.quit();
    return { accepted: info.accepted, rejected, response: info.response };
  } catch (e) {
    conn.close();
    // A reply from the server (responseCode) is a clear answer; anything else after the
    // whole body went out leaves the outcome open.
    const answered = typeof (e as { responseCode?: unknown } | null)?.responseCode === 'number';
    throw new SmtpSendError(e, bodyStarted, bodyEnded && !answered && !(e instanceof PetrelError));
  }
}
