import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AccountSchema, type Account } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { SerialQueue, writeFileAtomic } from '../fs/atomic';

/**
 * Account settings in the data folder (`accounts.json`), versioned so later versions
 * can migrate it. No secrets: passwords live in the SecretStore.
 */
export const SETTINGS_VERSION = 1;
const FileSchema = z.object({ version: z.literal(SETTINGS_VERSION), accounts: z.array(AccountSchema) });

/** Upgrades older files step by step; each step takes version n to n+1. */
const migrations: Record<number, (data: Record<string, unknown>) => Record<string, unknown>> = {};

export class AccountStore {
  private readonly path: string;
  private readonly queue = new SerialQueue();
  private cache: Account[] | undefined;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'accounts.json');
  }

  get file(): string {
    return this.path;
  }

  async list(): Promise<Account[]> {
    if (this.cache) return this.cache;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return (this.cache = []);
      throw new PetrelError('STORAGE_FAILED', `Petrel could not read ${this.path}.`);
    }
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new PetrelError('STORAGE_FAILED', `The accounts file ${this.path} is damaged (not JSON).`);
    }
    let version = typeof data.version === 'number' ? data.version : 0;
    if (version > SETTINGS_VERSION) {
      throw new PetrelError(
        'STORAGE_FAILED',
        `The accounts file was written by a newer Petrel (format ${version}). Update Petrel to use it.`,
      );
    }
    while (version < SETTINGS_VERSION) {
      const step = migrations[version];
      if (!step) throw new PetrelError('STORAGE_FAILED', `Cannot upgrade accounts file format ${version}.`);
      data = step(data);
      version++;
    }
    const parsed = FileSchema.safeParse(data);
    if (!parsed.success) {
      throw new PetrelError('STORAGE_FAILED', `The accounts file ${this.path} is damaged: ${parsed.error.issues[0]?.message ?? ''}`);
    }
    return (this.cache = parsed.data.accounts.sort((a, b) => a.order - b.order));
  }

  /** Applies a change to the whole list and saves it, one change at a time. */
  update(change: (accounts: Account[]) => Account[]): Promise<Account[]> {
    return this.queue.run(async () => {
      const next = change([...(await this.list())]).sort((a, b) => a.order - b.order);
      await writeFileAtomic(this.path, `${JSON.stringify({ version: SETTINGS_VERSION, accounts: next }, null, 2)}\n`, 0o600);
      this.cache = next;
      return next;
    });
  }
}
