import { describe, expect, it } from 'vitest';
import { Backoff, needsPerson } from './backoff';

describe('Backoff', () => {
  it('doubles from 1 s to a 5 min cap, with half of each step random', () => {
    const max = new Backoff({ random: () => 1 });
    expect(Array.from({ length: 12 }, () => max.next())).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000, 300000]);
    const min = new Backoff({ random: () => 0 });
    expect([min.next(), min.next(), min.next()]).toEqual([500, 1000, 2000]);
  });

  it('starts over after a success', () => {
    const b = new Backoff({ random: () => 1 });
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it('waits long after errors only the person can fix', () => {
    const b = new Backoff({ random: () => 1, permanentMs: 1_800_000 });
    expect(b.next('AUTH_FAILED')).toBe(1_800_000);
    expect(b.next('CERT_UNTRUSTED')).toBe(1_800_000);
    expect(b.next('SERVER_UNREACHABLE')).toBe(1000);
    expect(needsPerson('CONNECTION_TIMEOUT')).toBe(false);
    expect(needsPerson('NO_AUTH_MECHANISM')).toBe(true);
  });
});
