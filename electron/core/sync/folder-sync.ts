/**
 * One folder brought up to date on a connection: SELECT (EXAMINE, read-only: syncing
 * changes nothing on the server), then an initial sync when there is no usable cursor
 * (continued where it stopped when the renderer holds a partial one, and followed by an
 * incremental sync from its cursor then) or an incremental one from the cursor.
 */
import type { ImapFlow } from 'imapflow';
import { initialSync } from './initial-sync';
import { incrementalSync } from './incremental-sync';
import { RestartSync, type SyncDeps } from './sync-context';
import { selectFolder } from './sync-steps';

export type SyncOutcome = 'initial' | 'incremental' | 'unchanged';

export async function syncFolder(client: ImapFlow, path: string, deps: SyncDeps): Promise<SyncOutcome> {
  for (let attempt = 0; ; attempt++) {
    const generation = deps.state.generation;
    try {
      const mb = await selectFolder(client, path);
      const cursor = deps.state.cursors.get(path);
      if (!cursor || cursor.uidValidity !== mb.uidValidity.toString()) {
        if ((await initialSync(client, path, mb, deps, generation)) === 'continued') {
          // Its cursor is from before the cut: bring what was stored then up to date now.
          const next = deps.state.cursors.get(path);
          if (next) await incrementalSync(client, path, await selectFolder(client, path), next, deps, generation);
        }
        return 'initial';
      }
      return await incrementalSync(client, path, mb, cursor, deps, generation);
    } catch (e) {
      if (!(e instanceof RestartSync) || attempt >= 3) throw e;
      deps.log.info(`restarting the sync of a folder: ${e.message}`);
    }
  }
}
