import { accountRange, type PetrelDb } from './schema';

/**
 * Removes everything of an account in one transaction: folders, messages, bodies, cursors.
 * Deltas of the account still on their way would bring it back: with a SyncClient running,
 * call its `removeAccount`, which runs this in order with the batches and drops the account's
 * later deltas.
 */
export async function removeAccount(db: PetrelDb, accountId: string): Promise<void> {
  // When the operations journal arrives, add its table here (its queued ops of the account).
  const tables = [db.folders, db.messages, db.bodies, db.cursors];
  const [lo, hi] = accountRange(accountId);
  await db.transaction('rw', tables, async () => {
    for (const table of tables) await table.where(':id').between(lo, hi, true, true).delete();
  });
}
