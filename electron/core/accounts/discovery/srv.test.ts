import { createSocket, type Socket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress } from './common';
import { bestTarget, discoverSrv, type ResolveSrv } from './srv';

interface Srv {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** Names in wire format, uncompressed; "." is the root alone. */
function encodeName(name: string): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  const parts = labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/**
 * A tiny authoritative DNS server (RFC 1035 wire format) answering SRV queries (type 33)
 * from a table; any other name or type gets NXDOMAIN.
 */
function answer(query: Buffer, table: Record<string, Srv[]>): Buffer {
  let o = 12;
  const labels: string[] = [];
  while (query[o] !== 0) {
    const len = query[o]!;
    labels.push(query.subarray(o + 1, o + 1 + len).toString('ascii'));
    o += 1 + len;
  }
  o += 1;
  const qtype = query.readUInt16BE(o);
  o += 4; // type and class
  const records = qtype === 33 ? table[labels.join('.').toLowerCase()] : undefined;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // the query's id
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | (records ? 0 : 3), 2); // QR AA, RD echoed, NXDOMAIN
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records?.length ?? 0, 6);
  const answers = (records ?? []).map((r) => {
    const target = encodeName(r.target);
    const rr = Buffer.alloc(18);
    rr.writeUInt16BE(0xc00c, 0); // a pointer to the question's name
    rr.writeUInt16BE(33, 2); // SRV
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(60, 6); // TTL
    rr.writeUInt16BE(6 + target.length, 10);
    rr.writeUInt16BE(r.priority, 12);
    rr.writeUInt16BE(r.weight, 14);
    rr.writeUInt16BE(r.port, 16);
    return Buffer.concat([rr, target]);
  });
  return Buffer.concat([header, query.subarray(12, o), ...answers]);
}

const TABLE: Record<string, Srv[]> = {
  // Priority 5 beats 10; within priority 5 the higher weight wins.
  '_imaps._tcp.example.com': [
    { priority: 10, weight: 100, port: 993, target: 'imap-backup.example.com' },
    { priority: 5, weight: 1, port: 993, target: 'imap-light.example.com' },
    { priority: 5, weight: 10, port: 993, target: 'imap.example.com' },
  ],
  '_imap._tcp.example.com': [{ priority: 0, weight: 0, port: 143, target: 'mail.example.com' }],
  '_submissions._tcp.example.com': [{ priority: 0, weight: 0, port: 0, target: '.' }],
  '_submission._tcp.example.com': [{ priority: 0, weight: 0, port: 587, target: 'smtp.example.com' }],

  '_imap._tcp.hosted.test': [{ priority: 0, weight: 0, port: 143, target: 'mx.bighoster.net' }],
  '_submissions._tcp.hosted.test': [{ priority: 0, weight: 0, port: 465, target: 'smtp.hosted.test' }],

  '_imaps._tcp.half.test': [{ priority: 0, weight: 0, port: 993, target: 'imap.half.test' }],
};

describe('SRV discovery against a DNS server on loopback', () => {
  let dns: Socket;
  let resolveSrv: ResolveSrv;
  beforeAll(async () => {
    dns = createSocket('udp4');
    dns.on('message', (msg, from) => dns.send(answer(msg, TABLE), from.port, from.address));
    await new Promise<void>((r) => dns.bind(0, '127.0.0.1', r));
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${dns.address().port}`]);
    resolveSrv = (name) => resolver.resolveSrv(name);
  });
  afterAll(() => new Promise<void>((r) => dns.close(() => r())));

  const run = (email: string, log: string[] = []) =>
    discoverSrv(parseAddress(email), resolveSrv, AbortSignal.timeout(5000), (m) => log.push(m));

  it('prefers _imaps over _imap, orders by priority then weight, and treats "." as not offered', async () => {
    const log: string[] = [];
    expect(await run('a@example.com', log)).toEqual({
      source: 'srv',
      from: '_imaps._tcp.example.com, _submission._tcp.example.com',
      imap: { host: 'imap.example.com', port: 993, security: 'tls', username: 'a@example.com' },
      smtp: { host: 'smtp.example.com', port: 587, security: 'starttls', username: 'a@example.com' },
      confirmHosts: [],
    });
    expect(log).toEqual([]);
  });

  it('asks the person to confirm a host outside the address domain', async () => {
    expect(await run('b@hosted.test')).toEqual({
      source: 'srv',
      from: '_imap._tcp.hosted.test, _submissions._tcp.hosted.test',
      imap: { host: 'mx.bighoster.net', port: 143, security: 'starttls', username: 'b@hosted.test' },
      smtp: { host: 'smtp.hosted.test', port: 465, security: 'tls', username: 'b@hosted.test' },
      confirmHosts: ['mx.bighoster.net'],
    });
  });

  it('finds nothing, quietly, for a domain without records, and nothing for IMAP alone', async () => {
    const log: string[] = [];
    expect(await run('c@nothing.test', log)).toBeNull();
    expect(log).toEqual([]);
    expect(await run('d@half.test', log)).toBeNull();
    expect(log).toEqual(['srv: half.test: found IMAP only']);
  });

  it('logs a failing resolver and carries on; an abort propagates', async () => {
    const log: string[] = [];
    const broken: ResolveSrv = () => Promise.reject(new Error('queryA ESERVFAIL'));
    expect(await discoverSrv(parseAddress('e@example.com'), broken, AbortSignal.timeout(5000), (m) => log.push(m))).toBeNull();
    expect(log).toHaveLength(4);
    const never: ResolveSrv = () => new Promise(() => undefined);
    const pending = discoverSrv(parseAddress('e@example.com'), never, AbortSignal.timeout(50), () => undefined);
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

describe('bestTarget', () => {
  const r = (priority: number, weight: number, name: string, port = 993) => ({ priority, weight, name, port });
  it('skips invalid targets and ports in favour of the next record', () => {
    expect(bestTarget([r(0, 0, 'bad host'), r(1, 0, 'ok.example', 0), r(2, 0, 'OK.Example.')])).toEqual({
      host: 'ok.example',
      port: 993,
    });
    expect(bestTarget([])).toBeNull();
    expect(bestTarget([r(0, 0, '')])).toBeNull();
  });

  it('reads a "." target as "not offered here", even next to other records', () => {
    expect(bestTarget([r(0, 0, '.', 0), r(1, 0, 'ok.example')])).toBeNull();
    expect(bestTarget([r(1, 0, 'ok.example'), r(0, 0, '', 0)])).toBeNull();
  });
});
