/**
 * When to try a server again. Exponential with jitter ("equal jitter": half the step
 * fixed, half random) so that many clients cut off together do not come back together;
 * 1 s, 2 s, 4 s... up to 5 minutes. Errors that retrying cannot fix (a wrong password, an
 * untrusted certificate) wait much longer: the person has to act, and hammering a server
 * with bad credentials gets accounts locked. Editing the account retries at once.
 */
import type { ErrorCode } from '../../../shared/errors';

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** Delay after an error only the person can fix. */
  permanentMs?: number;
  random?: () => number;
}

const PERMANENT: ReadonlySet<ErrorCode> = new Set(['AUTH_FAILED', 'CERT_UNTRUSTED', 'CERT_CHANGED', 'NO_AUTH_MECHANISM', 'STARTTLS_UNAVAILABLE']);

/** Errors that need the person (password, certificate, settings), not another try. */
export function needsPerson(code: ErrorCode): boolean {
  return PERMANENT.has(code);
}

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly permanentMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 1000;
    this.maxMs = options.maxMs ?? 5 * 60_000;
    this.permanentMs = options.permanentMs ?? 30 * 60_000;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt after a failure with this code. */
  next(code?: ErrorCode): number {
    if (code && needsPerson(code)) return this.permanentMs;
    const step = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(step / 2 + this.random() * (step / 2));
  }

  /** After a successful connection: the next failure starts over at the base delay. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
