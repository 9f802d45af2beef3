import { describe, expect, it, vi } from 'vitest';
import { DiscoveredConfigSchema } from '../../../../shared/contract/accounts';
import { discover, type DiscoveryOptions, type Probe, type ResolveSrv } from './index';

const AUTOCONFIG_XML = `<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="example.net">
  <displayName>Example Net</displayName>
  <incomingServer type="imap">
    <hostname>imap.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username>
  </incomingServer>
  <outgoingServer type="smtp">
    <hostname>smtp.%EMAILDOMAIN%</hostname><port>465</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username>
  </outgoingServer>
</emailProvider></clientConfig>`;

const notFound = Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' });

/** Options where every network source is a spy finding nothing, unless overridden. */
function options(over: Partial<DiscoveryOptions> = {}) {
  const log: string[] = [];
  const fetch = vi.fn<typeof globalThis.fetch>(async () => new Response('no', { status: 404 }));
  const resolveSrv = vi.fn<ResolveSrv>(async () => Promise.reject(notFound));
  const probe = vi.fn<Probe>(async () => false);
  const opts: DiscoveryOptions = {
    autoconfigUrls: (domain, email) => [`http://127.0.0.1:9/a?e=${encodeURIComponent(email)}`, `http://127.0.0.1:9/${domain}`],
    fetch,
    resolveSrv,
    probe,
    timeoutMs: 2000,
    log: (m) => log.push(m),
    ...over,
  };
  return { opts, log, fetch, resolveSrv, probe };
}

describe('discover', () => {
  it('answers gmail.com from the provider table without touching the network', async () => {
    const { opts, fetch, resolveSrv, probe } = options();
    const configs = await discover('Someone@GMail.com', opts);
    expect(configs).toEqual([
      {
        source: 'provider',
        from: 'Gmail',
        displayName: expect.any(String),
        imap: { host: 'imap.gmail.com', port: 993, security: 'tls', username: 'Someone@GMail.com' },
        smtp: { host: 'smtp.gmail.com', port: 465, security: 'tls', username: 'Someone@GMail.com' },
        confirmHosts: [],
      },
    ]);
    expect([fetch.mock.calls.length, resolveSrv.mock.calls.length, probe.mock.calls.length]).toEqual([0, 0, 0]);
  });

  it('returns an autoconfig answer alone: SRV and guessing are not consulted', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async (url) =>
      String(url).endsWith('/example.net') ? new Response(AUTOCONFIG_XML) : new Response('', { status: 404 }),
    );
    const { opts, resolveSrv, probe } = options({ fetch });
    const configs = await discover('me@example.net', opts);
    expect(configs).toEqual([
      {
        source: 'autoconfig',
        from: 'http://127.0.0.1:9/example.net',
        displayName: 'Example Net',
        imap: { host: 'imap.example.net', port: 993, security: 'tls', username: 'me@example.net' },
        smtp: { host: 'smtp.example.net', port: 465, security: 'tls', username: 'me@example.net' },
        confirmHosts: [],
      },
    ]);
    expect(fetch.mock.calls[0]?.[0]).toBe('http://127.0.0.1:9/a?e=me%40example.net');
    expect([resolveSrv.mock.calls.length, probe.mock.calls.length]).toEqual([0, 0]);
  });

  it('otherwise returns SRV then guess results, and drops a guess that repeats SRV', async () => {
    const srv: Record<string, { name: string; port: number; priority: number; weight: number }> = {
      '_imaps._tcp.example.org': { name: 'imap.example.org', port: 993, priority: 0, weight: 0 },
      '_submission._tcp.example.org': { name: 'smtp.example.org', port: 587, priority: 0, weight: 0 },
    };
    const resolveSrv: ResolveSrv = async (name) => (srv[name] ? [srv[name]] : Promise.reject(notFound));
    const up = (hosts: string[]): Probe => async (host, port) => hosts.includes(`${host}:${port}`);

    const mailOnly = up(['mail.example.org:993', 'mail.example.org:465']);
    const both = await discover('x@example.org', options({ resolveSrv, probe: mailOnly }).opts);
    expect(both.map((c) => [c.source, c.imap.host, c.smtp.host])).toEqual([
      ['srv', 'imap.example.org', 'smtp.example.org'],
      ['guess', 'mail.example.org', 'mail.example.org'],
    ]);
    const asSrv = up(['imap.example.org:993', 'smtp.example.org:587']);
    const same = await discover('x@example.org', options({ resolveSrv, probe: asSrv }).opts);
    expect(same.map((c) => c.source)).toEqual(['srv']);
    for (const c of [...both, ...same]) expect(DiscoveredConfigSchema.safeParse(c).success).toBe(true);
  });

  it('returns [] when nothing is found, and logs why each source failed', async () => {
    const { opts, log, probe } = options({
      fetch: async () => Promise.reject(new TypeError('fetch failed')),
      resolveSrv: async () => Promise.reject(new Error('queryA ECONNREFUSED')),
    });
    await expect(discover('nobody@nowhere.example', opts)).resolves.toEqual([]);
    expect(probe).toHaveBeenCalledTimes(8);
    expect(log.filter((l) => l.startsWith('autoconfig:'))).toHaveLength(2);
    expect(log.filter((l) => l.startsWith('srv:'))).toHaveLength(4);
  });

  it('swallows a source that times out or throws', async () => {
    const { opts, log } = options({
      fetch: () => new Promise(() => undefined),
      probe: () => {
        throw new Error('probe exploded');
      },
      timeoutMs: 100,
    });
    await expect(discover('a@slow.example', opts)).resolves.toEqual([]);
    expect(log).toContain('autoconfig: timed out');
    expect(log).toContain('guess: probe exploded');
  });

  it('looks up an internationalised domain in its ASCII form', async () => {
    const { opts, fetch } = options();
    await discover('jörg@bücher.example', opts);
    expect(fetch.mock.calls[1]?.[0]).toBe('http://127.0.0.1:9/xn--bcher-kva.example');
  });

  it('throws CANCELLED when the caller aborts, before or during the lookup', async () => {
    const before = new AbortController();
    before.abort();
    await expect(discover('a@example.org', options({ signal: before.signal }).opts)).rejects.toMatchObject({ code: 'CANCELLED' });

    const during = new AbortController();
    const { opts } = options({ signal: during.signal, fetch: () => new Promise(() => undefined), timeoutMs: 60_000 });
    const pending = discover('a@example.org', opts);
    setTimeout(() => during.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('refuses something that is not an address with BAD_REQUEST', async () => {
    for (const bad of ['no-at-sign', '@example.org', 'a@', 'a@localhost', 'a@exa mple.org']) {
      await expect(discover(bad, options().opts)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
  });
});
