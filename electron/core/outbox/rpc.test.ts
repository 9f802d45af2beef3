/**
 * The outbox methods through the real contract and RPC layer (params and results validated
 * by the zod schemas on both sides), against the scripted SMTP server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contract, type Account, type PetrelContract } from '../../../shared/contract';
import { Connection } from '../../../shared/ipc/connection';
import { createMemoryTransportPair } from '../../../shared/ipc/memory-transport';
import { RpcServer } from '../../../shared/ipc/rpc-server';
import { createLogger } from '../log';
import { registerOutboxServices } from '../services/outbox';
import { OutboxService } from './service';
import { startFakeSmtp, type FakeSmtp } from './testing/fake-smtp';

const log = createLogger('test', () => undefined);
let dir: string;
let smtp: FakeSmtp;
let client: Connection<PetrelContract>;

function account(port: number): Account {
  return {
    id: 'acct-alice',
    label: 'Alice',
    name: 'Alice',
    email: 'alice@example.test',
    auth: { method: 'password' },
    imap: { host: '127.0.0.1', port: 1, security: 'none', username: 'alice' },
    smtp: { host: '127.0.0.1', port, security: 'none', username: 'alice' },
    pins: [],
    color: '#336699',
    order: 0,
    identities: [{ id: 'main', name: 'Alice Ä.', email: 'alice@example.test', signature: '' }],
    separateSmtpPassword: false,
    createdAt: 0,
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'petrel-outbox-rpc-'));
  smtp = await startFakeSmtp({ password: 'secret' });
  const acc = account(smtp.port);
  const svc = new OutboxService({
    dataDir: dir,
    log,
    accounts: { get: async () => acc, secretsOf: async () => ({ password: 'secret' }) },
    crashAfterSubmit: false,
    timeouts: { connectMs: 2000, socketMs: 2000 },
  });
  const server = new RpcServer(contract, { name: 'test' });
  registerOutboxServices(server, svc);
  const [a, b] = createMemoryTransportPair();
  server.attach(b);
  client = new Connection(contract, async () => a, { clientName: 'test' });
});

afterEach(async () => {
  client.close();
  await smtp.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the outbox over RPC', () => {
  it('builds, submits (once), and reports the status', async () => {
    const built = await client.call('outbox.build', {
      accountId: 'acct-alice',
      identityId: 'main',
      to: [{ address: 'bob@example.test' }],
      subject: 'Über',
      text: 'Hi',
      attachments: [{ filename: 'a.txt', contentBase64: Buffer.from('hello').toString('base64') }],
    });
    expect(built.messageId).toMatch(/^<.+@example\.test>$/);
    expect(Buffer.from(built.raw, 'base64').toString('latin1')).toContain(`Message-ID: ${built.messageId}`);
    expect(built.size).toBe(Buffer.from(built.raw, 'base64').length);

    const params = { accountId: 'acct-alice', messageId: built.messageId, raw: built.raw, envelope: built.envelope, saveToSent: false };
    expect(await client.call('outbox.submit', params)).toEqual({ state: 'sent', filedInSent: false, rejected: [], draftRemoved: false });
    expect(await client.call('outbox.submit', params)).toMatchObject({ state: 'sent' });
    expect(smtp.received).toHaveLength(1);
    expect(await client.call('outbox.status', { accountId: 'acct-alice', messageId: built.messageId })).toEqual({
      journal: 'filed',
      inFlight: false,
      inSent: false,
    });
  });

  it('carries the error codes and the server’s words', async () => {
    smtp.options.rejectRcpt = ['nobody@example.test'];
    const built = await client.call('outbox.build', { accountId: 'acct-alice', identityId: 'main', to: [{ address: 'nobody@example.test' }] });
    await expect(
      client.call('outbox.submit', { accountId: 'acct-alice', messageId: built.messageId, raw: built.raw, envelope: built.envelope }),
    ).rejects.toMatchObject({ code: 'RECIPIENT_REJECTED', message: expect.stringContaining('User unknown') });
  });

  it('refuses bad input at the contract: no recipients, a bad Message-ID, an unknown identity', async () => {
    await expect(client.call('outbox.build', { accountId: 'acct-alice', identityId: 'main' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      client.call('outbox.submit', { accountId: 'acct-alice', messageId: 'nope', raw: 'AA==', envelope: { from: 'a@example.test', to: ['b@example.test'] } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      client.call('outbox.build', { accountId: 'acct-alice', identityId: 'gone', to: [{ address: 'bob@example.test' }] }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
