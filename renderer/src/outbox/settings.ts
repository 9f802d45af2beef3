/** How long "Undo" is offered after Send, in seconds (0 sends at once). A per-device setting. */
export const UNDO_SECONDS_KEY = 'petrel.undoSendSeconds';
export const DEFAULT_UNDO_SECONDS = 5;
export const MAX_UNDO_SECONDS = 60;

export function undoSeconds(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): number {
  const raw = storage?.getItem(UNDO_SECONDS_KEY);
  if (raw === null || raw === undefined || raw.trim() === '') return DEFAULT_UNDO_SECONDS;
  const n = Number(raw);
  return Number.isFinite(n) ? Math.min(MAX_UNDO_SECONDS, Math.max(0, Math.round(n))) : DEFAULT_UNDO_SECONDS;
}

export function setUndoSeconds(seconds: number, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  storage?.setItem(UNDO_SECONDS_KEY, String(Math.min(MAX_UNDO_SECONDS, Math.max(0, Math.round(seconds)))));
}
