import { Dexie, type Table } from 'dexie';
import type { LocalDraft, OutboxEntry } from './types';

export const OUTBOX_DB_NAME = 'petrel-outbox';

/**
 * The outbox: messages on their way (built, not yet sent) and the composers' local drafts.
 * A database of its own, apart from the mail cache (renderer/src/db): it holds what exists
 * nowhere else yet, so it keeps strict durability (every commit waits for the disk), and a
 * resync of the cache never touches it.
 */
export class OutboxDb extends Dexie {
  declare readonly outbox: Table<OutboxEntry, string>;
  declare readonly drafts: Table<LocalDraft, string>;

  constructor(name: string = OUTBOX_DB_NAME) {
    super(name, { chromeTransactionDurability: 'strict' });
    this.version(1).stores({
      outbox: 'id',
      drafts: 'key',
    });
  }
}

let shared: OutboxDb | undefined;

export function outboxDb(): OutboxDb {
  shared ??= new OutboxDb();
  return shared;
}
