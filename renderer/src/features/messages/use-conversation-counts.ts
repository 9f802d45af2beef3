import { conversationsOf, rowKey, trashAndJunk, type MessageRecord } from '../../db';
import { useDb } from '../../db/db-context';
import { useThrottledQuery } from './throttled-query';

/** Least time between two walks while mail is being written (a first sync commits batch after batch). */
const REFRESH_MS = 1000;
/**
 * The walk for rows just shown waits this long: the rows' own query goes first (the walk's
 * hundreds of cursor steps queue ahead of it in IndexedDB otherwise: a jump into a long list
 * took twice as long), and rows scrolled past before it ends cost no walk.
 */
const AFTER_ROWS_MS = 100;

/**
 * How many messages each of the visible rows' conversations holds (rowKey → count), for the
 * list's badges. One walk for all rows, Message-IDs plus the cheap subject fallback ('own'),
 * so a 100k folder costs what its ~20 visible rows cost. Live: a reply arriving in another
 * folder updates the badge. Not a Dexie live query: Dexie reports every bulk write of 50 or
 * more records (each sync batch) as a change of the whole table, which re-ran the walk after
 * every batch of a first sync; here writes re-run it at most once a second.
 */
export function useConversationCounts(rows: readonly MessageRecord[]): ReadonlyMap<string, number> | undefined {
  const db = useDb();
  const signature = rows.map(rowKey).join('\u0001');
  return useThrottledQuery(
    db,
    async (signal) => {
      if (rows.length === 0) return new Map<string, number>();
      const exclude = await trashAndJunk(db, rows.map((r) => r.accountId));
      const all = await conversationsOf(db, rows, { subject: 'own', exclude, signal });
      return new Map([...all].map(([key, members]) => [key, members.length]));
    },
    // `signature` stands for the rows (a new array of the same rows must not re-run it).
    [signature],
    { tables: ['messages', 'folders'], intervalMs: REFRESH_MS, firstDelayMs: AFTER_ROWS_MS },
  );
}
