import type { Targets } from './actions';

/**
 * Dragging messages from the list onto a folder. The payload travels in the DataTransfer
 * under its own type; while dragging, this window also remembers it, because a page may not
 * read DataTransfer data before the drop, and the folder under the pointer must know at
 * once whether it takes the messages (same account, another folder).
 */
export const MESSAGES_MIME = 'application/x-petrel-messages';

let current: Targets | null = null;

export function startMessageDrag(e: { dataTransfer: DataTransfer | null }, targets: Targets, label: string): void {
  current = targets;
  const dt = e.dataTransfer;
  if (!dt) return;
  dt.effectAllowed = 'copyMove';
  dt.setData(MESSAGES_MIME, JSON.stringify(targets));
  dt.setData('text/plain', label);
}

export function endMessageDrag(): void {
  current = null;
}

/** The messages being dragged over this window, if any. */
export function draggedMessages(e: { dataTransfer: DataTransfer | null }): Targets | null {
  if (!e.dataTransfer?.types.includes(MESSAGES_MIME)) return null;
  return current;
}

/** The dropped messages (from the DataTransfer; the remembered drag as a fallback). */
export function droppedMessages(e: { dataTransfer: DataTransfer | null }): Targets | null {
  const raw = e.dataTransfer?.getData(MESSAGES_MIME);
  if (raw) {
    try {
      const t = JSON.parse(raw) as Partial<Targets>;
      if (typeof t.accountId === 'string' && typeof t.path === 'string' && Array.isArray(t.uids) && t.uids.every((u) => Number.isInteger(u))) {
        return { accountId: t.accountId, path: t.path, uids: t.uids };
      }
    } catch {
      // Not ours after all.
    }
  }
  return current;
}

/** Copy when the person holds Ctrl (Alt on macOS-style setups); move otherwise. */
export function wantsCopy(e: { ctrlKey: boolean; altKey: boolean }): boolean {
  return e.ctrlKey || e.altKey;
}
