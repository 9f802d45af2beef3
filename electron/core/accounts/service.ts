import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type {
  Account,
  AccountDraft,
  AccountPatchSchema,
  DiscoveredConfig,
  VerifyResult,
} from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { Listeners } from '../../../shared/ipc/transport';
import type { Logger } from '../log';
import type { SecretStore } from '../secrets/secret-store';
import type { AccountStore } from './store';
import { checkPin } from '../net/tls-trust';
import type { Secrets } from './verify';

export type AccountPatch = z.output<typeof AccountPatchSchema>;

/** What services that open their own connections need of the accounts: settings and passwords. */
export interface AccountDirectory {
  get(id: string): Promise<Account>;
  secretsOf(account: Account): Promise<Secrets>;
}

export interface AccountServiceDeps {
  store: AccountStore;
  secrets: SecretStore;
  log: Logger;
  discover: (email: string) => Promise<DiscoveredConfig[]>;
  verify: (draft: AccountDraft, secrets: Secrets) => Promise<VerifyResult>;
}

/** Colours people can tell apart in the sidebar, light and dark. */
const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#db2777', '#7c3aed', '#0891b2', '#dc2626', '#4d7c0f'];

const passed = (v: VerifyResult) => v.imap.ok && v.smtp.ok;
const secretKey = (id: string, which: 'imap' | 'smtp') => `account:${id}:${which}`;

/**
 * Accounts: settings in the AccountStore, passwords in the SecretStore, nothing saved
 * until both servers accept the settings (or the person says "save anyway").
 */
export class AccountService {
  private readonly changes = new Listeners<[Account[]]>();

  constructor(private readonly deps: AccountServiceDeps) {}

  list(): Promise<Account[]> {
    return this.deps.store.list();
  }

  async get(id: string): Promise<Account> {
    const account = (await this.list()).find((a) => a.id === id);
    if (!account) throw new PetrelError('NOT_FOUND', 'That account no longer exists.');
    return account;
  }

  onChange(listener: (accounts: Account[]) => void): () => void {
    return this.changes.add(listener);
  }

  discover(email: string): Promise<DiscoveredConfig[]> {
    return this.deps.discover(email);
  }

  verify(draft: AccountDraft, secrets: Secrets): Promise<VerifyResult> {
    for (const pin of draft.pins) checkPin(pin);
    return this.deps.verify(draft, secrets);
  }

  async add(
    draft: AccountDraft,
    secrets: Secrets,
    force: boolean,
  ): Promise<{ saved: true; account: Account; verify?: VerifyResult } | { saved: false; verify: VerifyResult }> {
    const existing = await this.list();
    const email = draft.email.toLowerCase();
    if (existing.some((a) => a.email.toLowerCase() === email && a.imap.host === draft.imap.host)) {
      throw new PetrelError('CONFLICT', `${draft.email} is already set up in Petrel.`);
    }
    const verify = await this.verify(draft, secrets);
    if (!passed(verify) && !force) return { saved: false, verify };
    const id = randomBytes(9).toString('base64url');
    const separate = secrets.smtpPassword !== undefined && secrets.smtpPassword !== secrets.password;
    // Secrets first: a crash between the two leaves an unused secret, never an account without its password.
    await this.deps.secrets.set(secretKey(id, 'imap'), secrets.password);
    if (separate && secrets.smtpPassword !== undefined) await this.deps.secrets.set(secretKey(id, 'smtp'), secrets.smtpPassword);
    const account: Account = {
      ...draft,
      id,
      color: draft.color ?? PALETTE[existing.length % PALETTE.length]!,
      order: existing.reduce((m, a) => Math.max(m, a.order + 1), 0),
      identities: [{ id: 'default', name: draft.name, email: draft.email, signature: '' }],
      separateSmtpPassword: separate,
      createdAt: Date.now(),
    };
    const all = await this.deps.store.update((list) => [...list, account]);
    this.deps.log.info(`account ${id} added (${draft.imap.host})`);
    this.changes.emit(all);
    return passed(verify) ? { saved: true, account } : { saved: true, account, verify };
  }

  async update(
    id: string,
    patch: AccountPatch,
    force: boolean,
  ): Promise<{ saved: true; account: Account } | { saved: false; verify: VerifyResult }> {
    const current = await this.get(id);
    const next: Account = { ...current, ...patch };
    const serversChanged =
      patch.imap !== undefined || patch.smtp !== undefined || patch.pins !== undefined;
    if (serversChanged) {
      const verify = await this.verify(next, await this.secretsOf(current));
      if (!passed(verify) && !force) return { saved: false, verify };
    }
    const all = await this.deps.store.update((list) => list.map((a) => (a.id === id ? next : a)));
    this.changes.emit(all);
    return { saved: true, account: next };
  }

  async setPassword(
    id: string,
    secrets: Secrets,
    force: boolean,
  ): Promise<{ saved: true } | { saved: false; verify: VerifyResult }> {
    const account = await this.get(id);
    const verify = await this.verify(account, secrets);
    if (!passed(verify) && !force) return { saved: false, verify };
    const separate = secrets.smtpPassword !== undefined && secrets.smtpPassword !== secrets.password;
    await this.deps.secrets.set(secretKey(id, 'imap'), secrets.password);
    if (separate && secrets.smtpPassword !== undefined) await this.deps.secrets.set(secretKey(id, 'smtp'), secrets.smtpPassword);
    else await this.deps.secrets.delete(secretKey(id, 'smtp'));
    const all = await this.deps.store.update((list) =>
      list.map((a) => (a.id === id ? { ...a, separateSmtpPassword: separate } : a)),
    );
    this.changes.emit(all);
    return { saved: true };
  }

  async remove(id: string): Promise<boolean> {
    const before = await this.list();
    if (!before.some((a) => a.id === id)) return false;
    const all = await this.deps.store.update((list) => list.filter((a) => a.id !== id));
    await this.deps.secrets.delete(secretKey(id, 'imap'));
    await this.deps.secrets.delete(secretKey(id, 'smtp'));
    this.deps.log.info(`account ${id} removed`);
    this.changes.emit(all);
    return true;
  }

  async reorder(ids: readonly string[]): Promise<void> {
    const rank = new Map(ids.map((id, i) => [id, i]));
    const all = await this.deps.store.update((list) =>
      list.map((a) => ({ ...a, order: rank.get(a.id) ?? ids.length + a.order })),
    );
    this.changes.emit(all);
  }

  /** The account's passwords, for the engine's own connections only. */
  async secretsOf(account: Account): Promise<Secrets> {
    const password = await this.deps.secrets.get(secretKey(account.id, 'imap'));
    if (password === undefined) {
      throw new PetrelError('AUTH_FAILED', `No password is saved for ${account.email}. Enter it in the account settings.`);
    }
    const smtpPassword = account.separateSmtpPassword
      ? await this.deps.secrets.get(secretKey(account.id, 'smtp'))
      : undefined;
    return { password, smtpPassword };
  }
}
