/**
 * Coalesces deltas into batches so the IPC is not flooded: a batch leaves at most
 * `flushMs` after its first delta, at once when it holds `maxItems` items, and at once
 * after a cursor (the end of a folder's sync, e.g. new mail pushed by IDLE). Order is
 * kept (a reset must precede its upserts, a uidset follow them); only neighbours of the
 * same kind and folder merge, and progress/status deltas, which change no data, replace
 * their predecessor for the same folder.
 */
import type { SyncBatch, SyncDelta } from '../../../shared/contract';

export interface BatcherOptions {
  flushMs?: number;
  maxItems?: number;
  /** Upserts larger than this are split, so no single delta is huge. */
  maxMessagesPerDelta?: number;
}

type Upsert = Extract<SyncDelta, { kind: 'upsert' }>;
type Flags = Extract<SyncDelta, { kind: 'flags' }>;
type Expunge = Extract<SyncDelta, { kind: 'expunge' }>;

export function itemsOf(d: SyncDelta): number {
  switch (d.kind) {
    case 'upsert':
      return d.messages.length;
    case 'flags':
      return d.changes.length;
    case 'expunge':
      return d.uids.length;
    default:
      return 1;
  }
}

function sameFolder(a: SyncDelta, b: SyncDelta): boolean {
  return (
    'path' in a &&
    'path' in b &&
    a.accountId === b.accountId &&
    a.path === b.path &&
    ('uidValidity' in a ? a.uidValidity : null) === ('uidValidity' in b ? b.uidValidity : null)
  );
}

export class DeltaBatcher {
  private seq = 0;
  private pending: SyncDelta[] = [];
  private items = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly flushMs: number;
  private readonly maxItems: number;
  private readonly maxPerDelta: number;

  constructor(
    private readonly emit: (batch: SyncBatch) => void,
    options: BatcherOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 40;
    this.maxItems = options.maxItems ?? 2000;
    this.maxPerDelta = options.maxMessagesPerDelta ?? 1000;
  }

  push(delta: SyncDelta): void {
    if (this.closed) return;
    if (delta.kind === 'upsert' && delta.messages.length > this.maxPerDelta) {
      for (let i = 0; i < delta.messages.length; i += this.maxPerDelta) {
        this.push({ ...delta, messages: delta.messages.slice(i, i + this.maxPerDelta) });
      }
      return;
    }
    if (delta.kind === 'upsert' && delta.messages.length === 0) return;
    if ((delta.kind === 'flags' && delta.changes.length === 0) || (delta.kind === 'expunge' && delta.uids.length === 0)) return;
    this.add(delta);
    this.items += itemsOf(delta);
    // A cursor ends a folder's sync: nothing more is coming for it, so waiting only adds latency.
    if (this.items >= this.maxItems || delta.kind === 'cursor') this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.flushMs);
  }

  private add(delta: SyncDelta): void {
    if (delta.kind === 'progress' || delta.kind === 'folderStatus') {
      this.pending = this.pending.filter((d) => !(d.kind === delta.kind && d.accountId === delta.accountId && d.path === delta.path));
      this.pending.push(delta);
      return;
    }
    const last = this.pending[this.pending.length - 1];
    if (last && last.kind === delta.kind && sameFolder(last, delta)) {
      if (last.kind === 'upsert' && last.messages.length + (delta as Upsert).messages.length <= this.maxPerDelta) {
        this.pending[this.pending.length - 1] = { ...last, messages: [...last.messages, ...(delta as Upsert).messages] };
        return;
      }
      if (last.kind === 'flags') {
        this.pending[this.pending.length - 1] = { ...last, changes: [...last.changes, ...(delta as Flags).changes] };
        return;
      }
      if (last.kind === 'expunge') {
        this.pending[this.pending.length - 1] = { ...last, uids: [...new Set([...last.uids, ...(delta as Expunge).uids])] };
        return;
      }
    }
    this.pending.push(delta);
  }

  /** Sends what is pending now (no-op when nothing is). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    const deltas = this.pending;
    this.pending = [];
    this.items = 0;
    this.emit({ seq: ++this.seq, deltas });
  }

  close(): void {
    this.flush();
    this.closed = true;
  }
}
