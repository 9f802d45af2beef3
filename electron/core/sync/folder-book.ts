/**
 * What the renderer was last told about an account's folders, so a poll every few
 * seconds sends a `folders` delta only when the list changed, and `folderStatus` only
 * for counts that changed.
 */
import type { Folder, SyncDelta } from '../../../shared/contract';
import { folderListKey, type ListedFolder } from './folders';

export class FolderBook {
  private key: string | null = null;
  private readonly counts = new Map<string, string>();
  folders: Folder[] = [];

  constructor(private readonly accountId: string) {}

  /** Emits the deltas for a new LIST; returns the paths that disappeared. */
  apply(listed: readonly ListedFolder[], emit: (d: SyncDelta) => void): string[] {
    const folders = listed.map((l) => l.folder);
    const now = new Set(folders.map((f) => f.path));
    const removed = this.folders.filter((f) => !now.has(f.path)).map((f) => f.path);
    const key = folderListKey(folders);
    if (key !== this.key) {
      emit({ kind: 'folders', accountId: this.accountId, folders });
      this.key = key;
      this.counts.clear();
      for (const f of folders) this.counts.set(f.path, `${f.total}/${f.unread}`);
    } else {
      for (const f of folders) {
        const c = `${f.total}/${f.unread}`;
        if (this.counts.get(f.path) === c) continue;
        this.counts.set(f.path, c);
        emit({ kind: 'folderStatus', accountId: this.accountId, path: f.path, total: f.total, unread: f.unread });
      }
    }
    this.folders = folders;
    return removed;
  }

  /** After a resume the renderer may know nothing: send everything again. */
  reset(): void {
    this.key = null;
    this.counts.clear();
  }
}
