import { describe, expect, it } from 'vitest';
import { parseAddress } from './common';
import { discoverByGuessing, guessCandidates } from './guess';
import type { Probe } from './probe';

const addr = parseAddress('jo@example.org');

/** A probe answering yes for "host:port" keys in `up`, recording every call. */
function fakeProbe(up: string[], calls: string[] = []): Probe {
  return async (host, port, security, timeoutMs) => {
    calls.push(`${host}:${port}:${security}:${timeoutMs}`);
    return up.includes(`${host}:${port}`);
  };
}

describe('guessing', () => {
  it('probes the usual names, implicit TLS ports first, all at once with the given timeout', async () => {
    const calls: string[] = [];
    await discoverByGuessing(addr, fakeProbe([], calls), 1234, AbortSignal.timeout(5000));
    expect(calls.sort()).toEqual(
      [
        'imap.example.org:993:tls', 'mail.example.org:993:tls', 'imap.example.org:143:starttls', 'mail.example.org:143:starttls',
        'smtp.example.org:465:tls', 'mail.example.org:465:tls', 'smtp.example.org:587:starttls', 'mail.example.org:587:starttls',
      ].map((c) => `${c}:1234`).sort(),
    );
    expect(guessCandidates('example.org').imap.map((c) => `${c.host}:${c.port}`)).toEqual([
      'imap.example.org:993', 'mail.example.org:993', 'imap.example.org:143', 'mail.example.org:143',
    ]);
  });

  it('picks, per protocol, the most preferred candidate among those that answered', async () => {
    const up = [
      'imap.example.org:143', 'mail.example.org:993', 'mail.example.org:143',
      'smtp.example.org:587', 'mail.example.org:465',
    ];
    expect(await discoverByGuessing(addr, fakeProbe(up), 100, AbortSignal.timeout(5000))).toEqual({
      source: 'guess',
      from: 'mail.example.org, mail.example.org',
      imap: { host: 'mail.example.org', port: 993, security: 'tls', username: 'jo@example.org' },
      smtp: { host: 'mail.example.org', port: 465, security: 'tls', username: 'jo@example.org' },
      confirmHosts: [],
    });
    const starttlsOnly = fakeProbe(['imap.example.org:143', 'smtp.example.org:587']);
    const c = await discoverByGuessing(addr, starttlsOnly, 100, AbortSignal.timeout(5000));
    expect([c?.imap.security, c?.smtp.security]).toEqual(['starttls', 'starttls']);
  });

  it('finds nothing when nothing answers, or only one protocol does, or the probe throws', async () => {
    expect(await discoverByGuessing(addr, fakeProbe([]), 100, AbortSignal.timeout(5000))).toBeNull();
    expect(await discoverByGuessing(addr, fakeProbe(['imap.example.org:993']), 100, AbortSignal.timeout(5000))).toBeNull();
    const throwing: Probe = () => Promise.reject(new Error('boom'));
    expect(await discoverByGuessing(addr, throwing, 100, AbortSignal.timeout(5000))).toBeNull();
  });

  it('decides as soon as the best candidates answered, without waiting for the worse ones', async () => {
    const hangsUnlessBest: Probe = (host, port) =>
      port === 993 || port === 465
        ? Promise.resolve(host.startsWith('imap') || host.startsWith('smtp'))
        : new Promise(() => undefined);
    const c = await discoverByGuessing(addr, hangsUnlessBest, 100, AbortSignal.timeout(5000));
    expect([c?.imap.host, c?.smtp.host]).toEqual(['imap.example.org', 'smtp.example.org']);
  });

  it('gives up when the signal aborts', async () => {
    const never: Probe = () => new Promise(() => undefined);
    await expect(discoverByGuessing(addr, never, 100, AbortSignal.timeout(50))).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
