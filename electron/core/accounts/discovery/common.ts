import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { PetrelError } from '../../../../shared/errors';

/** An address split the way every source needs it; the domain is lower-case ASCII (IDNs in punycode). */
export interface Address {
  email: string;
  localPart: string;
  domain: string;
}

export type Log = (msg: string) => void;

/** Splits at the last "@" (the local part may be quoted and hold one). Throws BAD_REQUEST on garbage. */
export function parseAddress(email: string): Address {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  const localPart = trimmed.slice(0, at);
  const domain = domainToASCII(trimmed.slice(at + 1).replace(/\.$/, '')).toLowerCase();
  if (at < 1 || trimmed.length > 320 || !isHostname(domain) || !domain.includes('.')) {
    throw new PetrelError('BAD_REQUEST', 'That does not look like an email address.');
  }
  return { email: trimmed, localPart, domain };
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** A DNS host name of letters, digits, "-" and "_" (SRV-style labels exist), 253 chars at most. */
export function isHostname(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every((l) => LABEL.test(l));
}

/** Lower-cases, drops a root dot and checks a server host name or IP literal; null when it is odd. */
export function normalizeHost(raw: string): string | null {
  const host = raw.trim().toLowerCase().replace(/\.$/, '');
  if (isIP(host) !== 0) return host;
  return isHostname(host) && !/^[0-9.]+$/.test(host) ? host : null;
}

/** True when host is the domain itself or a name below it. */
export function isWithinDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

export function cancelled(): PetrelError {
  return new PetrelError('CANCELLED', 'Looking up the server settings was cancelled.');
}

/** The caller's signal plus a per-source timeout (and, optionally, a local "we're done" signal). */
export function sourceSignal(timeoutMs: number, ...more: Array<AbortSignal | undefined>): AbortSignal {
  return AbortSignal.any([AbortSignal.timeout(timeoutMs), ...more.filter((s): s is AbortSignal => s !== undefined)]);
}

/** Settles with p, or rejects as soon as signal aborts (for APIs that take no signal). */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return e.name === 'TimeoutError' ? 'timed out' : e.message;
  return String(e);
}
