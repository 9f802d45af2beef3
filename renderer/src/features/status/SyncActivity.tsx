import { useSyncExternalStore } from 'react';
import type { SyncProgress } from '../../db';
import { useConnectionState } from '../../ipc/engine-context';
import { useSync } from '../../app/sync-context';

/** What the line says for the folders still in their first sync; null when there are none. */
export function syncActivityLabel(progress: readonly SyncProgress[]): { text: string; synced: number; total: number } | null {
  const running = progress.filter((p) => !p.done && p.total > 0);
  if (running.length === 0) return null;
  const synced = running.reduce((n, p) => n + Math.min(p.synced, p.total), 0);
  const total = running.reduce((n, p) => n + p.total, 0);
  const folders = running.length === 1 ? '' : ` in ${running.length} folders`;
  return { text: `Syncing ${synced.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} messages${folders}`, synced, total };
}

/**
 * First syncs under way, under the connection status: a 100k mailbox takes a while, and the
 * list's count is the server's from the start, so this is where a person sees how far it is.
 */
export function SyncActivity() {
  const sync = useSync();
  const state = useSyncExternalStore(sync.onChange, sync.getState);
  const connection = useConnectionState();
  const label = syncActivityLabel(state.progress);
  // A dropped connection leaves the last report behind; the engine reports again after the resume.
  if (!label || connection.status !== 'connected') return null;
  return (
    <div className="sync-activity">
      <span role="status" aria-live="polite" data-testid="sync-activity">
        {label.text}
      </span>
      <progress aria-label="First sync" max={label.total} value={label.synced} />
    </div>
  );
}
