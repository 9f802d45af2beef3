/**
 * What went wrong while sending, as a PetrelError with a stable code and the server's own
 * words (`details.server`, and in the message). `details.temporary` marks 4xx replies: the
 * server asks to try again later.
 */
import { PetrelError } from '../../../shared/errors';
import { mapServerError, type ServerRef } from '../net/map-error';

interface SmtpErrLike {
  code?: unknown;
  command?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
  recipient?: unknown;
  rejected?: unknown;
  rejectedErrors?: unknown;
}

const TOO_LARGE = /\b5\.3\.4\b|\b5\.2\.3\b|too (big|large)|exceeds? (the )?(maximum|size|message size)|size limit|larger than allowed/i;

export function serverWords(e: unknown): string | undefined {
  const r = (e as SmtpErrLike | null)?.response;
  return typeof r === 'string' && r.trim() ? r.trim().slice(0, 500) : undefined;
}

export function mapSendError(e: unknown, server: ServerRef): PetrelError {
  if (e instanceof PetrelError) return e;
  const err = (e ?? {}) as SmtpErrLike;
  const code = typeof err.code === 'string' ? err.code : '';
  const command = typeof err.command === 'string' ? err.command : '';
  const status = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const says = serverWords(e);
  const temporary = status !== undefined && status >= 400 && status < 500;
  const facts = (extra: Record<string, unknown> = {}) => ({
    ...(says ? { server: says } : {}),
    ...(status !== undefined ? { status } : {}),
    temporary,
    ...extra,
  });

  // nodemailer's own check against the size the server announced in EHLO.
  if (code === 'EMESSAGE' && /larger than allowed/i.test(String(err.message ?? ''))) {
    const limit = Number(/(\d+)\s*$/.exec(String(err.message))?.[1]);
    return new PetrelError(
      'MESSAGE_TOO_LARGE',
      `The message is larger than ${server.host} accepts${Number.isFinite(limit) ? ` (${(limit / 1048576).toFixed(1)} MB)` : ''}. Remove attachments or share them with a link.`,
      facts(Number.isFinite(limit) ? { limit } : {}),
    );
  }
  if (status === 552 || (says !== undefined && TOO_LARGE.test(says))) {
    return new PetrelError('MESSAGE_TOO_LARGE', `The server refused the message as too large: ${says ?? status}`, facts());
  }
  if (command === 'RCPT TO') {
    const recipients = rejectedRecipients(e);
    const who = recipients.map((r) => r.address).join(', ') || 'the recipients';
    return new PetrelError(
      'RECIPIENT_REJECTED',
      `The server refused ${who}: ${recipients[0]?.response ?? says ?? 'no reason given'}`.slice(0, 1000),
      facts({ recipients }),
    );
  }
  if (command === 'MAIL FROM') {
    return new PetrelError(
      'SENDER_REJECTED',
      `The server refused the sender address: ${says ?? 'no reason given'}`,
      facts(),
    );
  }
  if ((command === 'DATA' || command === 'DATA stream') && status !== undefined) {
    return new PetrelError(
      'SERVER_ERROR',
      `${temporary ? 'The server could not take the message right now' : 'The server refused the message'}: ${says ?? status}`,
      facts(),
    );
  }
  const mapped = mapServerError(e, server);
  if (mapped.code === 'SERVER_ERROR' && (temporary || says)) {
    return new PetrelError(mapped.code, mapped.message, { ...mapped.details, ...facts() });
  }
  return mapped;
}

/** Every refused recipient with the server's reply, from a nodemailer envelope error. */
export function rejectedRecipients(e: unknown): { address: string; response: string }[] {
  const err = (e ?? {}) as SmtpErrLike;
  const list = Array.isArray(err.rejectedErrors) ? (err.rejectedErrors as SmtpErrLike[]) : [];
  const out = list
    .filter((r) => typeof r.recipient === 'string')
    .map((r) => ({ address: String(r.recipient), response: serverWords(r) ?? '' }));
  if (out.length > 0) return out;
  const rejected = Array.isArray(err.rejected) ? err.rejected.filter((r): r is string => typeof r === 'string') : [];
  if (rejected.length > 0) return rejected.map((address) => ({ address, response: serverWords(e) ?? '' }));
  if (typeof err.recipient === 'string') return [{ address: err.recipient, response: serverWords(e) ?? '' }];
  return [];
}
