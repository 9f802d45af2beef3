import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from './store';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'petrel-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An accounts.json as version 1 wrote it before identities had signatures. */
const v1WithoutSignatures = {
  version: 1,
  accounts: [
    {
      id: 'acct-alice',
      label: 'Work',
      name: 'Alice',
      email: 'alice@example.test',
      auth: { method: 'password' },
      imap: { host: 'imap.example.test', port: 993, security: 'tls', username: 'alice' },
      smtp: { host: 'smtp.example.test', port: 587, security: 'starttls', username: 'alice' },
      pins: [],
      color: '#336699',
      order: 0,
      identities: [{ id: 'default', name: 'Alice', email: 'alice@example.test' }],
      separateSmtpPassword: false,
      createdAt: 0,
    },
  ],
};

describe('identities and their signatures in accounts.json', () => {
  it('a version 1 file without signatures loads, each identity with an empty one', async () => {
    await writeFile(join(dir, 'accounts.json'), JSON.stringify(v1WithoutSignatures));
    const [account] = await new AccountStore(dir).list();
    expect(account?.identities).toEqual([{ id: 'default', name: 'Alice', email: 'alice@example.test', signature: '' }]);
  });

  it('a signature is kept, line breaks included, and read back by a new store', async () => {
    await writeFile(join(dir, 'accounts.json'), JSON.stringify(v1WithoutSignatures));
    const signature = 'Alice Example\nChief of Plans — Grüße';
    await new AccountStore(dir).update((list) => list.map((a) => ({ ...a, identities: a.identities.map((i) => ({ ...i, signature })) })));
    const saved = JSON.parse(await readFile(join(dir, 'accounts.json'), 'utf8')) as { version: number };
    expect(saved.version).toBe(1);
    const [account] = await new AccountStore(dir).list();
    expect(account?.identities[0]?.signature).toBe(signature);
  });
});
