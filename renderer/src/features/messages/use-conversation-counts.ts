import { useLiveQuery } from 'dexie-react-hooks';
import { conversationsOf, rowKey, trashAndJunk, type MessageRecord } from '../../db';
import { useDb } from '../../db/db-context';

/**
 * How many messages each of the visible rows' conversations holds (rowKey → count), for the
 * list's badges. One walk for all rows, Message-IDs plus the cheap subject fallback ('own'),
 * so a 100k folder costs what its ~20 visible rows cost. Live: a reply arriving in another
 * folder updates the badge; unrelated writes (the rest of a first sync) do not re-run it,
 * since the query only reads index keys of these rows' threads.
 */
export function useConversationCounts(rows: readonly MessageRecord[]): ReadonlyMap<string, number> | undefined {
  const db = useDb();
  const signature = rows.map(rowKey).join('\u0001');
  return useLiveQuery(
    async () => {
      if (rows.length === 0) return new Map<string, number>();
      const exclude = await trashAndJunk(db, rows.map((r) => r.accountId));
      const all = await conversationsOf(db, rows, { subject: 'own', exclude });
      return new Map([...all].map(([key, members]) => [key, members.length]));
    },
    // `signature` stands for the rows (a new array of the same rows must not re-run it).
    [db, signature],
  );
}
