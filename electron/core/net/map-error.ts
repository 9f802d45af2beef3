import { PetrelError } from '../../../shared/errors';
import { isCertificateError } from './tls-trust';

export interface ServerRef {
  protocol: 'IMAP' | 'SMTP';
  host: string;
  port: number;
}

type ErrLike = {
  code?: unknown;
  message?: unknown;
  authenticationFailed?: unknown;
  tlsFailed?: unknown;
  responseText?: unknown;
  response?: unknown;
  responseCode?: unknown;
};

/**
 * Turns whatever imapflow, nodemailer or Node threw into a PetrelError with a stable
 * code and words a person can act on. The server's own words are kept where they help.
 */
export function mapServerError(e: unknown, server: ServerRef): PetrelError {
  if (e instanceof PetrelError) return e;
  const err = (e ?? {}) as ErrLike;
  const code = typeof err.code === 'string' ? err.code : '';
  const where = `${server.protocol} server ${server.host}:${server.port}`;
  const serverSays = firstString(err.responseText, err.response);
  const message = String(err.message ?? '');
  // nodemailer wraps TLS failures as ETLS and keeps only Node's words.
  const certWords = /certificate|self[- ]signed|unable to verify|altnames|issuer/i.test(message);
  if (isCertificateError(e) || (code === 'ETLS' && certWords)) {
    return new PetrelError('CERT_UNTRUSTED', `The ${where} presented a certificate Petrel cannot verify (${code}).`, {
      reason: code,
    });
  }
  if (/LOGINDISABLED|login is disabled|no (supported )?auth|Unknown authentication method|Authentication mechanism|no password configured/i.test(`${String(err.message ?? '')} ${serverSays ?? ''}`)) {
    return new PetrelError(
      'NO_AUTH_MECHANISM',
      `The ${where} offers no sign-in method Petrel supports over this connection.`,
    );
  }
  if (err.authenticationFailed === true || code === 'EAUTH' || /AUTHENTICATIONFAILED/i.test(serverSays ?? '')) {
    return new PetrelError(
      'AUTH_FAILED',
      `The ${server.protocol} server rejected the user name or password. Check them, or create an app password if your provider requires one.`,
      serverSays ? { server: serverSays } : undefined,
    );
  }
  if (err.tlsFailed === true || (code === 'ETLS' && !certWords) || (/STARTTLS/i.test(message) && /not|support|offer/i.test(message))) {
    return new PetrelError(
      'STARTTLS_UNAVAILABLE',
      `The ${where} does not offer STARTTLS, so the connection cannot be encrypted. Try TLS on another port.`,
    );
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE'].includes(code) || code === 'ESOCKET' && /ECONNREFUSED|ENOTFOUND/.test(String(err.message))) {
    return new PetrelError(
      'SERVER_UNREACHABLE',
      `Petrel could not reach the ${where}. Check the host name and port, and your network.`,
      { reason: code },
    );
  }
  if (['ETIMEDOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT'].includes(code) || /timed? ?out/i.test(String(err.message ?? ''))) {
    return new PetrelError('CONNECTION_TIMEOUT', `The ${where} did not answer in time. Check the port and security setting.`);
  }
  return new PetrelError(
    'SERVER_ERROR',
    `The ${where} failed: ${serverSays ?? (typeof err.message === 'string' ? err.message : 'unknown error')}`.slice(0, 500),
    code ? { reason: code } : undefined,
  );
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v.trim()) return v.trim().slice(0, 300);
  return undefined;
}
