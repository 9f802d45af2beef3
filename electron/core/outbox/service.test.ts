/**
 * The outbox service against a scripted SMTP server (testing/fake-smtp.ts): exactly-once by
 * Message-ID through the journal, uncertain outcomes, restarts, and the error codes. The real
 * servers are in service.int.test.ts. IMAP here points at a closed port, so every Sent step
 * fails fast (or is switched off with saveToSent: false).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ComposeInputSchema, SubmitParamsSchema, type Account, type SubmitParamsIn } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { createLogger } from '../log';
import { CRASH_AFTER_SUBMIT_ENV, OutboxService, type OutboxServiceDeps } from './service';
import { startFakeSmtp, type FakeSmtp, type FakeSmtpOptions } from './testing/fake-smtp';

const log = createLogger('test', () => undefined);
let dir: string;
let smtp: FakeSmtp;

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
    identities: [{ id: 'main', name: 'Alice', email: 'alice@example.test', signature: '' }],
    separateSmtpPassword: false,
    createdAt: 0,
  };
}

async function start(options: FakeSmtpOptions = {}) {
  smtp = await startFakeSmtp({ password: 'secret', ...options });
}

function service(extra: Partial<OutboxServiceDeps> = {}): OutboxService {
  const acc = account(smtp.port);
  return new OutboxService({
    dataDir: dir,
    log,
    accounts: {
      get: async (id) => {
        if (id !== acc.id) throw new Error('unknown account');
        return acc;
      },
      secretsOf: async () => ({ password: 'secret' }),
    },
    crashAfterSubmit: false,
    timeouts: { connectMs: 2000, socketMs: 2000 },
    ...extra,
  });
}

async function message(svc: OutboxService, to = ['bob@example.test']) {
  const built = await svc.build(
    ComposeInputSchema.parse({
      accountId: 'acct-alice',
      identityId: 'main',
      to: to.map((address) => ({ address })),
      subject: 'Test',
      text: 'Hello',
    }),
  );
  return (o: Partial<SubmitParamsIn> = {}) =>
    SubmitParamsSchema.parse({
      accountId: 'acct-alice',
      messageId: built.messageId,
      raw: built.raw,
      envelope: built.envelope,
      saveToSent: false,
      ...o,
    });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'petrel-outbox-'));
});
afterEach(async () => {
  await smtp?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('submitting exactly once', () => {
  it('sends, records it as filed, and never contacts SMTP again for the same Message-ID', async () => {
    await start();
    const svc = service();
    const params = await message(svc);
    const p = params();
    expect(await svc.submit(p)).toEqual({ state: 'sent', filedInSent: false, rejected: [], draftRemoved: false });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.data).toContain(`Message-ID: ${p.messageId}`);
    // Byte for byte what was built (the SMTP stream only ends it with a line break).
    expect(smtp.received[0]!.data.replace(/\r\n$/, '')).toBe(Buffer.from(p.raw, 'base64').toString('latin1').replace(/\r\n$/, ''));
    expect((await svc.journal.get(p.messageId))?.state).toBe('filed');
    const connections = smtp.connections;
    expect(await svc.submit(p)).toMatchObject({ state: 'sent' });
    expect(await service().submit(p)).toMatchObject({ state: 'sent' }); // after a restart too
    expect(smtp.connections).toBe(connections);
    expect(smtp.received).toHaveLength(1);
  });

  it('joins a submit that is already running instead of starting another', async () => {
    await start();
    const svc = service();
    const p = (await message(svc))();
    const [a, b, c] = await Promise.all([svc.submit(p), svc.submit(p), svc.submit(p)]);
    expect(a).toEqual(b);
    expect(b).toEqual(c);
    expect(smtp.connections).toBe(1);
    expect(smtp.received).toHaveLength(1);
  });

  it('says SEND_UNCERTAIN when the connection drops after the final dot, and never resends on its own', async () => {
    await start({ afterData: 'drop' });
    const svc = service();
    const params = await message(svc);
    const p = params();
    await expect(svc.submit(p)).rejects.toMatchObject({ code: 'SEND_UNCERTAIN' });
    expect(smtp.received).toHaveLength(1);
    expect((await svc.journal.get(p.messageId))?.state).toBe('submitting');
    // Again, and after a restart: still uncertain, and SMTP is not contacted.
    const connections = smtp.connections;
    await expect(svc.submit(p)).rejects.toMatchObject({ code: 'SEND_UNCERTAIN' });
    await expect(service().submit(p)).rejects.toMatchObject({ code: 'SEND_UNCERTAIN' });
    expect(smtp.connections).toBe(connections);
    // The person says "send again".
    smtp.options.afterData = 'accept';
    expect(await service().submit(params({ resend: true }))).toMatchObject({ state: 'sent' });
    expect(smtp.received).toHaveLength(2);
  });

  it('after a crash right after submission, a restarted engine only files the copy', async () => {
    await start();
    const crashed = service({
      crashAfterSubmit: true,
      exit: () => {
        throw new Error('killed');
      },
    });
    const p = (await message(crashed))();
    await expect(crashed.submit(p)).rejects.toThrow('killed');
    expect((await crashed.journal.get(p.messageId))?.state).toBe('submitted');
    const restarted = service();
    expect(await restarted.status('acct-alice', p.messageId)).toEqual({ journal: 'submitted', inFlight: false, inSent: null });
    expect(await restarted.submit(p)).toMatchObject({ state: 'sent' });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.connections).toBe(1);
  });

  it('reads the crash switch from the environment only when set to 1', async () => {
    await start();
    const exit = vi.fn();
    vi.stubEnv(CRASH_AFTER_SUBMIT_ENV, '');
    const inert = service({ crashAfterSubmit: undefined, exit });
    await inert.submit((await message(inert))());
    expect(exit).not.toHaveBeenCalled();
    vi.stubEnv(CRASH_AFTER_SUBMIT_ENV, '1');
    const armed = service({ crashAfterSubmit: undefined, exit });
    await armed.submit((await message(armed))());
    expect(exit).toHaveBeenCalledWith(137);
    vi.unstubAllEnvs();
  });

  it('keeps a message that reached SMTP when the Sent copy fails: submitted, then only the copy is retried', async () => {
    await start();
    const svc = service();
    const p = (await message(svc))({ saveToSent: true });
    const first = await svc.submit(p);
    expect(first).toMatchObject({ state: 'submitted', filedInSent: false, sentCopyError: { code: 'SERVER_UNREACHABLE' } });
    expect((await svc.journal.get(p.messageId))?.state).toBe('submitted');
    expect(await svc.submit(p)).toMatchObject({ state: 'submitted' });
    expect(smtp.received).toHaveLength(1);
    // Without a copy wanted, it completes.
    expect(await svc.submit({ ...p, saveToSent: false })).toMatchObject({ state: 'sent', filedInSent: false });
  });

  it('skips the Sent copy for servers that file sent mail themselves', async () => {
    await start();
    const svc = service({ serverFilesSent: () => true });
    const p = (await message(svc))({ saveToSent: true });
    expect(await svc.submit(p)).toMatchObject({ state: 'sent', filedInSent: false });
  });

  it('refuses a message whose Message-ID is not the one it is submitted under', async () => {
    await start();
    const svc = service();
    const p = (await message(svc))();
    await expect(svc.submit({ ...p, messageId: '<other@example.test>' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(smtp.connections).toBe(0);
  });
});

describe('errors, in the server’s words', () => {
  it('RECIPIENT_REJECTED when every recipient is refused; nothing recorded', async () => {
    await start({ rejectRcpt: ['nobody@example.test'] });
    const svc = service();
    const p = (await message(svc, ['nobody@example.test']))();
    const error = await svc.submit(p).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'RECIPIENT_REJECTED',
      message: expect.stringContaining('Recipient address rejected: User unknown'),
      details: { recipients: [{ address: 'nobody@example.test', response: expect.stringContaining('550 5.1.1') }], temporary: false },
    });
    expect(await svc.journal.get(p.messageId)).toBeUndefined();
    expect(smtp.received).toHaveLength(0);
  });

  it('sends to the accepted recipients and reports the refused ones', async () => {
    await start({ rejectRcpt: ['nobody@example.test'] });
    const svc = service();
    const p = (await message(svc, ['bob@example.test', 'nobody@example.test']))();
    const res = await svc.submit(p);
    expect(res.state).toBe('sent');
    expect(res.rejected).toEqual([{ address: 'nobody@example.test', response: expect.stringContaining('User unknown') }]);
    expect(smtp.received[0]!.to).toEqual(['bob@example.test']);
    // The journal remembers them for a repeated submit.
    expect((await svc.submit(p)).rejected).toHaveLength(1);
  });

  it('a refusal after the body is a clear failure: nothing recorded, sending again is allowed', async () => {
    await start({ afterData: 'reject' });
    const svc = service();
    const p = (await message(svc))();
    await expect(svc.submit(p)).rejects.toMatchObject({
      code: 'SERVER_ERROR',
      message: expect.stringContaining('554 5.7.1 Message rejected as spam'),
      details: { temporary: false },
    });
    expect(await svc.journal.get(p.messageId)).toBeUndefined();
    smtp.options.afterData = 'temporary';
    await expect(svc.submit(p)).rejects.toMatchObject({ code: 'SERVER_ERROR', details: { temporary: true, status: 451 } });
    smtp.options.afterData = 'accept';
    expect(await svc.submit(p)).toMatchObject({ state: 'sent' });
  });

  it('AUTH_FAILED for a wrong password', async () => {
    await start({ password: 'other' });
    const svc = service();
    await expect(svc.submit((await message(svc))())).rejects.toMatchObject({ code: 'AUTH_FAILED' });
  });

  it('MESSAGE_TOO_LARGE when the server announces a smaller SIZE; nothing goes out', async () => {
    await start({ size: 100 });
    const svc = service();
    await expect(svc.submit((await message(svc))())).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    expect(smtp.received).toHaveLength(0);
  });

  it('SERVER_UNREACHABLE when nothing listens; nothing recorded', async () => {
    await start();
    const svc = service();
    const p = (await message(svc))();
    await smtp.close();
    await expect(svc.submit(p)).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
    expect(await svc.journal.get(p.messageId)).toBeUndefined();
  });

  it('STORAGE_FAILED, and nothing sent, when the journal cannot record the submission before the body', async () => {
    await start();
    const svc = service();
    const p = (await message(svc))();
    vi.spyOn(svc.journal, 'set').mockRejectedValueOnce(new PetrelError('STORAGE_FAILED', 'disk full'));
    await expect(svc.submit(p)).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    expect(smtp.received).toHaveLength(0);
    expect(await svc.journal.get(p.messageId)).toBeUndefined();
    // The disk is back: it goes out.
    expect(await svc.submit(p)).toMatchObject({ state: 'sent' });
    expect(smtp.received).toHaveLength(1);
  });

  it('STORAGE_FAILED when the journal cannot be read at all; SMTP is not contacted', async () => {
    await start();
    const svc = service();
    const p = (await message(svc))();
    await svc.journal.set('<unrelated@x>', { accountId: 'acct-alice', state: 'filed' });
    const broken = service({ dataDir: join(dir, 'outbox-journal.json', 'x') });
    await expect(broken.submit(p)).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    expect(smtp.connections).toBe(0);
  });
});
