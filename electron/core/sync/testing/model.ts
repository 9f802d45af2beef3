/**
 * A tiny reference "renderer" for the tests: applies every delta kind with the contract's
 * semantics (shared/contract/sync.ts) to an in-memory store, as IndexedDB would, and
 * records anything a real renderer would have to reject.
 */
import { SyncBatchSchema, type Folder, type FolderCursor, type MessageHeader, type SyncBatch, type SyncDelta } from '../../../../shared/contract';
import { parseUidSet, rangesContain } from '../uid-set';

export const folderKey = (accountId: string, path: string) => `${accountId}\u0000${path}`;

export interface ModelFolder {
  uidValidity: string | null;
  messages: Map<number, MessageHeader>;
}

export class ReferenceModel {
  readonly folders = new Map<string, Folder[]>();
  readonly store = new Map<string, ModelFolder>();
  readonly cursors = new Map<string, FolderCursor>();
  readonly counts = new Map<string, { total: number; unread: number }>();
  readonly progress = new Map<string, Extract<SyncDelta, { kind: 'progress' }>>();
  readonly log: SyncDelta[] = [];
  readonly problems: string[] = [];
  lastSeq = 0;
  deltaCount = 0;

  apply(batch: SyncBatch): void {
    const parsed = SyncBatchSchema.safeParse(batch);
    if (!parsed.success) this.problems.push(`invalid batch ${batch.seq}: ${parsed.error.message.slice(0, 500)}`);
    if (batch.seq <= this.lastSeq) this.problems.push(`seq went from ${this.lastSeq} to ${batch.seq}`);
    this.lastSeq = batch.seq;
    for (const d of batch.deltas) this.applyDelta(d);
  }

  private folder(accountId: string, path: string): ModelFolder {
    const key = folderKey(accountId, path);
    let f = this.store.get(key);
    if (!f) {
      f = { uidValidity: null, messages: new Map() };
      this.store.set(key, f);
    }
    return f;
  }

  applyDelta(d: SyncDelta): void {
    this.deltaCount++;
    this.log.push(d);
    switch (d.kind) {
      case 'folders': {
        this.folders.set(d.accountId, d.folders);
        const keep = new Set(d.folders.map((f) => folderKey(d.accountId, f.path)));
        for (const key of [...this.store.keys()]) {
          if (key.startsWith(`${d.accountId}\u0000`) && !keep.has(key)) {
            this.store.delete(key);
            this.cursors.delete(key);
          }
        }
        for (const f of d.folders) this.counts.set(folderKey(d.accountId, f.path), { total: f.total, unread: f.unread });
        break;
      }
      case 'folderStatus':
        this.counts.set(folderKey(d.accountId, d.path), { total: d.total, unread: d.unread });
        break;
      case 'reset': {
        const f = this.folder(d.accountId, d.path);
        f.uidValidity = d.uidValidity;
        f.messages.clear();
        this.cursors.delete(folderKey(d.accountId, d.path));
        break;
      }
      case 'upsert': {
        const f = this.folder(d.accountId, d.path);
        if (f.uidValidity !== d.uidValidity) this.problems.push(`upsert for ${d.path} with UIDVALIDITY ${d.uidValidity}, folder has ${f.uidValidity}`);
        for (const m of d.messages) f.messages.set(m.uid, m);
        break;
      }
      case 'flags': {
        const f = this.folder(d.accountId, d.path);
        if (f.uidValidity !== d.uidValidity) {
          this.problems.push(`flags for ${d.path} with UIDVALIDITY ${d.uidValidity}, folder has ${f.uidValidity}`);
          break;
        }
        for (const c of d.changes) {
          const m = f.messages.get(c.uid);
          if (m) f.messages.set(c.uid, { ...m, flags: c.flags, modseq: c.modseq });
        }
        break;
      }
      case 'expunge': {
        const f = this.folder(d.accountId, d.path);
        if (f.uidValidity !== d.uidValidity) {
          this.problems.push(`expunge for ${d.path} with UIDVALIDITY ${d.uidValidity}, folder has ${f.uidValidity}`);
          break;
        }
        for (const u of d.uids) f.messages.delete(u);
        break;
      }
      case 'uidset': {
        const f = this.folder(d.accountId, d.path);
        if (f.uidValidity !== d.uidValidity) {
          this.problems.push(`uidset for ${d.path} with UIDVALIDITY ${d.uidValidity}, folder has ${f.uidValidity}`);
          break;
        }
        const ranges = parseUidSet(d.uids);
        for (const u of [...f.messages.keys()]) if (u < d.uidNext && !rangesContain(ranges, u)) f.messages.delete(u);
        break;
      }
      case 'cursor': {
        const f = this.folder(d.cursor.accountId, d.cursor.path);
        if (f.uidValidity !== d.cursor.uidValidity) this.problems.push(`cursor for ${d.cursor.path} with UIDVALIDITY ${d.cursor.uidValidity}, folder has ${f.uidValidity}`);
        this.cursors.set(folderKey(d.cursor.accountId, d.cursor.path), d.cursor);
        break;
      }
      case 'progress':
        this.progress.set(folderKey(d.accountId, d.path), d);
        break;
    }
  }

  messages(accountId: string, path: string): Map<number, MessageHeader> {
    return this.store.get(folderKey(accountId, path))?.messages ?? new Map();
  }

  cursor(accountId: string, path: string): FolderCursor | undefined {
    return this.cursors.get(folderKey(accountId, path));
  }

  /** What the renderer hands back on resume. */
  cursorList(): FolderCursor[] {
    return [...this.cursors.values()];
  }

  /** UID → sorted flags, to compare with the server. */
  flagView(accountId: string, path: string): Map<number, string[]> {
    return new Map([...this.messages(accountId, path)].map(([uid, m]) => [uid, [...m.flags].sort()]));
  }
}
