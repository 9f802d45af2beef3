/**
 * The engine's reader of FETCH lines (fetch-line.ts) against Dovecot: a connection with it
 * installed reads the same headers, bodies and message objects as one where imapflow parses
 * every line, over messages of every shape the benchmark's corpus makes (charsets, threads,
 * attachments, encoded names), and it did read those lines itself.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMessage } from '../../../bench/corpus';
import { loadMailServersFromEnv, type MailServers } from '../../../e2e/mailserver/mailserver';
import { readBodies } from '../sync/body-fetcher';
import { fetchHeaders } from '../sync/fetch-headers';
import { bulkInsert, otherClient } from '../sync/testing/mail-store';
import { fetchLineStats, installFetchLineReader } from './fetch-line';

const COUNT = 300;

describe('FETCH lines read by the engine, against Dovecot', () => {
  let servers: MailServers;
  let plain: ImapFlow;
  let fast: ImapFlow;
  let uidValidity: string;
  let uids: number[];

  beforeAll(async () => {
    servers = loadMailServersFromEnv();
    await servers.resetUser('alice');
    const spec = { seed: 5, count: COUNT, to: { name: 'Alice Example', address: 'alice@example.test' } };
    await bulkInsert(
      servers,
      'alice',
      'INBOX',
      Array.from({ length: COUNT }, (_, i) => ({ raw: generateMessage(spec, i).raw, flags: i % 3 === 0 ? ['\\Seen'] : [] })),
    );
    plain = await otherClient(servers, 'alice', { qresync: true });
    fast = await otherClient(servers, 'alice', { qresync: true });
    expect(installFetchLineReader(fast)).toBe(true);
    for (const c of [plain, fast]) await c.mailboxOpen('INBOX', { readOnly: true });
    uidValidity = plain.mailbox ? plain.mailbox.uidValidity.toString() : '';
    uids = ((await plain.search({ all: true }, { uid: true })) || []).sort((a, b) => a - b);
    expect(uids).toHaveLength(COUNT);
  });
  afterAll(async () => {
    await Promise.all([plain, fast].map((c) => c?.logout().catch(() => undefined)));
  });

  /** What `read` gives on each connection, and how many lines the engine's reader took meanwhile. */
  async function both<T>(read: (client: ImapFlow) => Promise<T>): Promise<{ plain: T; fast: T; readByEngine: number }> {
    const p = await read(plain);
    const before = fetchLineStats.read;
    const f = await read(fast);
    return { plain: p, fast: f, readByEngine: fetchLineStats.read - before };
  }

  it('the headers the sync stores are the same', async () => {
    const ctx = { accountId: 'a1', path: 'INBOX', uidValidity };
    const r = await both((c) => fetchHeaders(c, `${uids[0]}:*`, ctx));
    expect(r.fast.headers).toHaveLength(COUNT);
    expect(r.fast).toStrictEqual(r.plain);
    expect(r.readByEngine).toBe(COUNT);
  });

  it('the bodies of the offline download are the same', async () => {
    const ctx = { accountId: 'a1', path: 'INBOX', uidValidity };
    const r = await both((c) => readBodies(c, ctx, uids));
    expect(r.fast).toHaveLength(COUNT);
    expect(r.fast).toStrictEqual(r.plain);
    expect(r.readByEngine).toBeGreaterThanOrEqual(COUNT);
  });

  it("imapflow's own fetch gives the same messages, sources and header blocks included", async () => {
    const query = { uid: true, flags: true, envelope: true, bodyStructure: true, internalDate: true, size: true, headers: true, source: true, threadId: true };
    const r = await both((c) => c.fetchAll('1:*', query));
    expect(r.fast).toHaveLength(COUNT);
    // Buffers compared as such: a deep comparison walks them byte by byte.
    const bytes = (ms: typeof r.fast) => ms.map((m) => Buffer.concat([m.source ?? Buffer.alloc(0), Buffer.from('\0'), m.headers ?? Buffer.alloc(0)]).toString('base64'));
    const rest = (ms: typeof r.fast) => ms.map(({ source: _s, headers: _h, ...m }) => m);
    expect(bytes(r.fast)).toEqual(bytes(r.plain));
    expect(rest(r.fast)).toStrictEqual(rest(r.plain));
    expect(r.readByEngine).toBe(COUNT);
  });
});
