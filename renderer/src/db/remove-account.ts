import { accountRange, type PetrelDb } from './schema';

/**
 * Removes everything of an account in one transaction: folders, messages, bodies, cursors.
 * Deltas of the account still on their way would bring it back: with a SyncClient running,
 * call its `removeAccount`, which runs this in order with the batches and drops the account's
 * later deltas.
 */
export async function removeAccount(db: PetrelDb, accountId: string): Promise<void> {
  // contactMarks too: the account added again is read for contacts again. The contacts
  // themselves are addresses, not the account's, and stay.
  const tables = [db.folders, db.messages, db.bodies, db.cursors, db.contactMarks];
  const [lo, hi] = accountRange(accountId);
  await db.transaction('rw', [...tables, db.ops], async () => {
    for (const table of tables) await table.where(':id').between(lo, hi, true, true).delete();
    // Its operations waiting for the server (or failed) go with it.
    await db.ops.where('accountId').equals(accountId).delete();
  });
}
