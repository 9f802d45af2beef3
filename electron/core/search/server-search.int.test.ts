/**
 * `search.server` against the real test IMAP server (Dovecot):
 *   npx tsx scripts/with-mail-servers.ts npx vitest run --project integration server-search
 * Messages are appended over IMAP (flags and internal dates set as planted), then searched
 * with the structured queries the renderer sends, through the RPC contract's schemas.
 */
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMailServersFromEnv, type MailUser } from '../../../e2e/mailserver/mailserver';
import {
  ServerSearchParamsSchema,
  ServerSearchResultSchema,
  type Account,
  type ServerSearchQuery,
} from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { createLogger } from '../log';
import { ServerSearchService } from './server-search';

const servers = loadMailServersFromEnv();
const alice = servers.user('alice');
const log = createLogger('test', (line) => {
  if (process.env.PETREL_SEARCH_LOG) process.stderr.write(line);
});

function accountOf(user: MailUser): Account {
  return {
    id: `acct-${user.name}`,
    label: user.name,
    name: user.name,
    email: user.address,
    auth: { method: 'password' },
    imap: { host: servers.host, port: servers.imap.tlsPort, security: 'tls', username: user.login },
    smtp: { host: servers.host, port: servers.smtp.submissionPort, security: 'starttls', username: user.login },
    pins: [],
    color: '#336699',
    order: 0,
    identities: [{ id: 'main', name: user.name, email: user.address, signature: '' }],
    separateSmtpPassword: false,
    createdAt: 0,
  };
}

let logins = 0;
function service(): ServerSearchService {
  const account = accountOf(alice);
  return new ServerSearchService({
    accounts: {
      get: async (id) => {
        if (id !== account.id) throw new PetrelError('NOT_FOUND', 'There is no such account.');
        return account;
      },
      secretsOf: async () => {
        logins++;
        return { password: alice.password };
      },
    },
    log,
    idleCloseMs: 2000,
    timeouts: { connectMs: 10_000, socketMs: 20_000 },
  });
}

async function withImap<T>(use: (c: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({
    host: servers.host,
    port: servers.imap.tlsPort,
    secure: true,
    auth: { user: alice.login, pass: alice.password },
    tls: { ca: servers.caCert },
    logger: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

interface Plant {
  subject: string;
  from: string;
  to?: string;
  cc?: string;
  body: string;
  flags?: string[];
  date: string;
  attachment?: boolean;
}

function raw(p: Plant): string {
  const head = [
    `From: ${p.from}`,
    `To: ${p.to ?? alice.address}`,
    ...(p.cc ? [`Cc: ${p.cc}`] : []),
    `Subject: =?UTF-8?B?${Buffer.from(p.subject).toString('base64')}?=`,
    `Date: ${new Date(p.date).toUTCString()}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@example.test>`,
    'MIME-Version: 1.0',
  ];
  if (!p.attachment) {
    return [...head, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', p.body, ''].join('\r\n');
  }
  return [
    ...head,
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    p.body,
    '--b1',
    'Content-Type: application/pdf; name="report.pdf"',
    'Content-Disposition: attachment; filename="report.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('%PDF-1.4 fake').toString('base64'),
    '--b1--',
    '',
  ].join('\r\n');
}

const PLANTS: Plant[] = [
  { subject: 'Quarterly budget review', from: 'Carol <carol@example.test>', body: 'Please read the ramen section first.', date: '2024-01-10T10:00:00Z' },
  { subject: 'Lunch', from: 'Bob <bob@example.test>', body: 'Ramen or sushi? The budget allows both.', flags: ['\\Seen'], date: '2024-02-10T10:00:00Z' },
  { subject: 'Отчёт за май', from: 'Иван <ivan@example.test>', body: 'Привет! Бюджет утверждён.', flags: ['\\Seen', '\\Flagged'], date: '2024-03-10T10:00:00Z' },
  { subject: 'Invoice attached', from: 'Billing <billing@example.test>', cc: 'Dave <dave@example.test>', body: 'See the report.', attachment: true, date: '2024-04-10T10:00:00Z' },
  { subject: '会議の議事録', from: 'Grace <grace@example.test>', body: '東京都の会議は明日です。', date: '2024-05-10T10:00:00Z' },
];

const uidOf: number[] = [];
let uidValidity = '';

beforeAll(async () => {
  await servers.resetUser('alice');
  await withImap(async (c) => {
    for (const p of PLANTS) {
      const res = await c.append('INBOX', raw(p), p.flags ?? [], new Date(p.date));
      if (!res || !res.uid) throw new Error('APPEND did not return a UID (UIDPLUS)');
      uidOf.push(res.uid);
      uidValidity = String(res.uidValidity);
    }
  });
});

const search = new ServerSearchService({ accounts: { get: async () => accountOf(alice), secretsOf: async () => ({ password: alice.password }) }, log });
afterAll(async () => {
  await search.close();
});

async function find(query: ServerSearchQuery, path = 'INBOX'): Promise<number[]> {
  const params = ServerSearchParamsSchema.parse({ accountId: 'acct-alice', path, query });
  const result = ServerSearchResultSchema.parse(await search.search(params));
  expect(result.uidValidity).toBe(uidValidity);
  expect(result.total).toBe(result.uids.length);
  // Highest first; map back to the planted index for readable expectations.
  return result.uids.map((u) => uidOf.indexOf(u));
}

describe('search.server against Dovecot', () => {
  it('finds words in headers and bodies, ANDs them, and excludes', async () => {
    expect(await find({ text: ['ramen'] })).toEqual([1, 0]);
    expect(await find({ text: ['ramen', 'budget'] })).toEqual([1, 0]);
    expect(await find({ text: ['ramen', 'sushi'] })).toEqual([1]);
    expect(await find({ text: ['ramen'], not: { text: ['sushi'] } })).toEqual([0]);
    expect(await find({ text: ['nothing-like-this'] })).toEqual([]);
    expect(await find({})).toEqual([4, 3, 2, 1, 0]);
  });

  it('searches fields: from, to/cc, subject', async () => {
    expect(await find({ from: ['carol'] })).toEqual([0]);
    expect(await find({ to: ['dave'] })).toEqual([3]);
    expect(await find({ to: [alice.address] })).toEqual([4, 3, 2, 1, 0]);
    expect(await find({ subject: ['budget'] })).toEqual([0]);
    expect(await find({ subject: ['budget'], from: ['bob'] })).toEqual([]);
    expect(await find({ not: { from: ['carol', 'bob'] } })).toEqual([4, 3, 2]);
  });

  it('searches non-ASCII text (UTF-8 charset)', async () => {
    expect(await find({ text: ['Бюджет'] })).toEqual([2]);
    expect(await find({ subject: ['Отчёт'] })).toEqual([2]);
    expect(await find({ text: ['東京都'] })).toEqual([4]);
  });

  it('filters by flags, dates and the attachment heuristic', async () => {
    expect(await find({ unseen: true })).toEqual([4, 3, 0]);
    expect(await find({ unseen: false })).toEqual([2, 1]);
    expect(await find({ flagged: true })).toEqual([2]);
    expect(await find({ since: '2024-03-01' })).toEqual([4, 3, 2]);
    expect(await find({ before: '2024-03-01' })).toEqual([1, 0]);
    expect(await find({ since: '2024-02-01', before: '2024-04-01', unseen: false })).toEqual([2, 1]);
    expect(await find({ attachment: true })).toEqual([3]);
    expect(await find({ attachment: false, unseen: true })).toEqual([4, 0]);
  });

  it('says NOT_FOUND for a folder that does not exist, and searches other folders', async () => {
    await expect(search.search({ accountId: 'acct-alice', path: 'No/Such/Folder', query: {} })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const sent = await search.search({ accountId: 'acct-alice', path: 'Sent', query: {} });
    expect(sent.uids).toEqual([]);
    // The connection survived the NOT_FOUND.
    expect(await find({ from: ['carol'] })).toEqual([0]);
  });

  it('reuses one connection for a burst of searches, and answers a superseded search CANCELLED', async () => {
    const s = service();
    try {
      logins = 0;
      const results = await Promise.all(
        ['r', 'ra', 'ram', 'rame', 'ramen'].map((t) => s.search({ accountId: 'acct-alice', path: 'INBOX', query: { text: [t] } })),
      );
      expect(results.at(-1)!.uids).toHaveLength(2);
      expect(logins).toBe(1);
      const ac = new AbortController();
      const first = s.search({ accountId: 'acct-alice', path: 'INBOX', query: { text: ['budget'] } }, ac.signal);
      ac.abort();
      await expect(first).rejects.toMatchObject({ code: 'CANCELLED' });
      expect((await s.search({ accountId: 'acct-alice', path: 'INBOX', query: { text: ['budget'] } })).uids).toHaveLength(2);
      expect(logins).toBe(1);
      await expect(s.search({ accountId: 'acct-nobody', path: 'INBOX', query: {} })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await s.close();
    }
  });
});
