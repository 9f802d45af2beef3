import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccountDraft, VerifyResult } from '../../../shared/contract';
import { createLogger } from '../log';
import { FileSecretStore } from '../secrets/secret-store';
import { AccountService } from './service';
import { AccountStore } from './store';

const draft: AccountDraft = {
  label: 'Work',
  name: 'Alice',
  email: 'alice@example.test',
  auth: { method: 'password' },
  imap: { host: 'localhost', port: 993, security: 'tls', username: 'alice@example.test' },
  smtp: { host: 'localhost', port: 587, security: 'starttls', username: 'alice@example.test' },
  pins: [],
};
const ok: VerifyResult = { imap: { ok: true }, smtp: { ok: true } };
const badPassword: VerifyResult = {
  imap: { ok: false, error: { code: 'AUTH_FAILED', message: 'wrong' } },
  smtp: { ok: true },
};

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function setup(verify: VerifyResult = ok) {
  const dir = await mkdtemp(join(tmpdir(), 'petrel-acc-'));
  dirs.push(dir);
  const verifyFn = vi.fn(async () => verify);
  const make = () =>
    new AccountService({
      store: new AccountStore(dir),
      secrets: new FileSecretStore(dir),
      log: createLogger('test', () => undefined),
      discover: async () => [],
      verify: verifyFn,
    });
  return { dir, service: make(), make, verifyFn };
}

describe('AccountService', () => {
  it('saves an account that verified, with its password only in the 0600 secrets file', async () => {
    const { dir, service, make } = await setup();
    const res = await service.add(draft, { password: 'hunter2-secret' }, false);
    expect(res.saved).toBe(true);
    const settings = await readFile(join(dir, 'accounts.json'), 'utf8');
    expect(settings).not.toContain('hunter2-secret');
    expect(JSON.parse(settings)).toMatchObject({ version: 1, accounts: [{ email: 'alice@example.test' }] });
    expect((await stat(join(dir, 'secrets.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'accounts.json'))).mode & 0o777).toBe(0o600);
    // A new process reads both back.
    const again = make();
    const [account] = await again.list();
    expect(account?.identities[0]).toMatchObject({ email: 'alice@example.test', name: 'Alice' });
    await expect(again.secretsOf(account!)).resolves.toEqual({ password: 'hunter2-secret', smtpPassword: undefined });
  });

  it('saves nothing when a check fails, unless forced', async () => {
    const { dir, service } = await setup(badPassword);
    const res = await service.add(draft, { password: 'nope' }, false);
    expect(res).toEqual({ saved: false, verify: badPassword });
    await expect(stat(join(dir, 'accounts.json'))).rejects.toThrow();
    await expect(stat(join(dir, 'secrets.json'))).rejects.toThrow();
    const forced = await service.add(draft, { password: 'nope' }, true);
    expect(forced.saved).toBe(true);
  });

  it('refuses the same address twice', async () => {
    const { service } = await setup();
    await service.add(draft, { password: 'p' }, false);
    await expect(service.add(draft, { password: 'p' }, false)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('keeps a separate SMTP password only when it differs', async () => {
    const { service } = await setup();
    const res = await service.add(draft, { password: 'a', smtpPassword: 'b' }, false);
    if (!res.saved) throw new Error('not saved');
    expect(res.account.separateSmtpPassword).toBe(true);
    await expect(service.secretsOf(res.account)).resolves.toEqual({ password: 'a', smtpPassword: 'b' });
  });

  it('re-verifies when servers change, not for a new name; removes account and secrets', async () => {
    const { dir, service, verifyFn } = await setup();
    const res = await service.add(draft, { password: 'p' }, false);
    if (!res.saved) throw new Error('not saved');
    verifyFn.mockClear();
    await service.update(res.account.id, { label: 'Home' }, false);
    expect(verifyFn).not.toHaveBeenCalled();
    await service.update(res.account.id, { imap: { ...draft.imap, port: 143, security: 'starttls' } }, false);
    expect(verifyFn).toHaveBeenCalledOnce();
    const changed = vi.fn();
    service.onChange(changed);
    expect(await service.remove(res.account.id)).toBe(true);
    expect(changed).toHaveBeenCalledWith([]);
    expect(await readFile(join(dir, 'secrets.json'), 'utf8')).not.toContain('"p"');
  });

  it('refuses a damaged or newer settings file with a clear error', async () => {
    const { dir, service, make } = await setup();
    await writeFile(join(dir, 'accounts.json'), '{"version": 99, "accounts": []}');
    await expect(service.list()).rejects.toMatchObject({ code: 'STORAGE_FAILED', message: /newer Petrel/ });
    await writeFile(join(dir, 'accounts.json'), 'not json');
    await expect(make().list()).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
  });

  it('rejects a pin whose certificate does not match its fingerprint', async () => {
    const { service } = await setup();
    const pin = { host: 'localhost', port: 993, fingerprint256: Array(32).fill('AB').join(':'), certPem: '-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n' };
    await expect(service.add({ ...draft, pins: [pin] }, { password: 'p' }, false)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
