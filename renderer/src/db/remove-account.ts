import { accountRange, type PetrelDb } from './schema';

/**
 * Removes everything of an account in one transaction: folders, messages, bodies, cursors.
 * Deltas of the account still on their way would bring it back: with a SyncClient running,
 * call its `removeAccount`, which runs this in order with the batches and drops the account's
 * later deltas.
 */
export async function removeAccount(db: PetrelDb, accountId: string): Promise<void> {
  const tables = [db.folders, db.messages, db.bodies, db.cursors];
  const [lo, hi] = accountRange(accountId);
  await db.transaction('rw', [...tables, db.ops], async () => {
    for (const table of tables) await table.where(':id').between(lo, hi, true, true).delete();
    // Its operations waiting for the server (or failed) go with it.
    await db.ops.where('accountId').equals(accountId).delete();
  });
}
