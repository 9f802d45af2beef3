import type { ContactRecord, PetrelDb } from '../db/schema';
import { rankContacts } from './rank';

/**
 * Address suggestions for the composer. The contacts (a few thousand addresses even for a
 * large mailbox) are held in memory and ranked per keystroke; they are read again from
 * IndexedDB only after the indexer added some (`invalidate`).
 */
export class ContactBook {
  private list: readonly ContactRecord[] | null = null;
  private loading: Promise<readonly ContactRecord[]> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly db: PetrelDb) {}

  /** The index changed: read it again on the next suggestion, and tell open fields. */
  invalidate(): void {
    this.list = null;
    for (const l of this.listeners) l();
  }

  /** Hears `invalidate` (a field showing suggestions asks again). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private load(): Promise<readonly ContactRecord[]> {
    if (this.list) return Promise.resolve(this.list);
    this.loading ??= this.db.contacts
      .toArray()
      .then((all) => {
        this.list = all;
        return all;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  async suggest(query: string, options: { limit?: number; exclude?: ReadonlySet<string>; now?: number } = {}): Promise<ContactRecord[]> {
    const all = await this.load();
    return rankContacts(all, query, { now: options.now ?? Date.now(), limit: options.limit ?? 8, ...(options.exclude ? { exclude: options.exclude } : {}) });
  }
}

const books = new WeakMap<PetrelDb, ContactBook>();

export function contactBook(db: PetrelDb): ContactBook {
  let book = books.get(db);
  if (!book) {
    book = new ContactBook(db);
    books.set(db, book);
  }
  return book;
}
