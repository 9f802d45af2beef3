import { readFile, stat, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PetrelError } from '../../../shared/errors';
import { SerialQueue, writeFileAtomic } from '../fs/atomic';
import type { Logger } from '../log';

/** Where passwords live. Only the engine holds one; nothing from it reaches the renderer. */
export interface SecretStore {
  readonly kind: string;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** How a stored value is protected: Electron passes safeStorage (OS keychain); the host stores plain text in a 0600 file. */
export interface SecretCodec {
  readonly kind: string;
  encode(plain: string): string;
  decode(stored: string): string;
}

export const plainCodec: SecretCodec = { kind: 'file-0600', encode: (s) => s, decode: (s) => s };

const FileSchema = z.object({ version: z.literal(1), secrets: z.record(z.string(), z.string()) });

/** A secrets file in the data folder, readable only by its owner (0600). */
export class FileSecretStore implements SecretStore {
  readonly kind: string;
  private readonly path: string;
  private readonly queue = new SerialQueue();
  private cache: Record<string, string> | undefined;

  constructor(
    dataDir: string,
    private readonly codec: SecretCodec = plainCodec,
    private readonly log?: Logger,
  ) {
    this.path = join(dataDir, 'secrets.json');
    this.kind = codec.kind;
  }

  async get(key: string): Promise<string | undefined> {
    const stored = (await this.load())[key];
    if (stored === undefined) return undefined;
    try {
      return this.codec.decode(stored);
    } catch {
      throw new PetrelError('STORAGE_FAILED', 'A saved password could not be decrypted. Enter it again.');
    }
  }

  set(key: string, value: string): Promise<void> {
    return this.queue.run(async () => {
      const all = { ...(await this.load()), [key]: this.codec.encode(value) };
      await this.save(all);
    });
  }

  delete(key: string): Promise<void> {
    return this.queue.run(async () => {
      const all = { ...(await this.load()) };
      if (!(key in all)) return;
      delete all[key];
      await this.save(all);
    });
  }

  private async load(): Promise<Record<string, string>> {
    if (this.cache) return this.cache;
    let text: string;
    try {
      const info = await stat(this.path);
      if ((info.mode & 0o077) !== 0 && process.platform !== 'win32') {
        // Someone loosened it: close it again rather than leave passwords readable.
        await chmod(this.path, 0o600);
        this.log?.warn('secrets file was readable by others; its mode is 0600 again');
      }
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return (this.cache = {});
      throw new PetrelError('STORAGE_FAILED', 'Petrel could not read its passwords file.');
    }
    const parsed = FileSchema.safeParse(safeJson(text));
    if (!parsed.success) throw new PetrelError('STORAGE_FAILED', `The passwords file ${this.path} is damaged.`);
    return (this.cache = parsed.data.secrets);
  }

  private async save(all: Record<string, string>): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, secrets: all })}\n`, 0o600);
    this.cache = all;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
