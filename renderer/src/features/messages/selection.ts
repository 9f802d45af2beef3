/**
 * The message list's selection: a set of UIDs of one folder, the anchor a shift-click or
 * shift-arrow extends from, and the focused message (the one the reader shows when it is
 * the only one selected, and where the arrow keys move from).
 */
export interface Selection {
  uids: readonly number[];
  anchor: number | null;
  focus: number | null;
}

export const EMPTY_SELECTION: Selection = { uids: [], anchor: null, focus: null };

export function single(uid: number): Selection {
  return { uids: [uid], anchor: uid, focus: uid };
}

/** Ctrl/Cmd-click: adds or removes one message; it becomes the anchor. */
export function toggle(s: Selection, uid: number): Selection {
  if (s.uids.includes(uid)) {
    const uids = s.uids.filter((u) => u !== uid);
    const focus = s.focus === uid ? (uids[uids.length - 1] ?? null) : s.focus;
    return { uids, anchor: uid, focus };
  }
  return { uids: [...s.uids, uid], anchor: uid, focus: uid };
}

/**
 * Shift-click or shift-arrow: everything from the anchor to `uid` in list order (`order`:
 * the UIDs as the list shows them). Without an anchor in `order`, just `uid`.
 */
export function extend(s: Selection, uid: number, order: readonly number[]): Selection {
  const from = s.anchor === null ? -1 : order.indexOf(s.anchor);
  const to = order.indexOf(uid);
  if (from === -1 || to === -1) return { uids: [uid], anchor: uid, focus: uid };
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  return { uids: order.slice(lo, hi + 1), anchor: s.anchor, focus: uid };
}

/** The one message the reader shows: the focused one when it alone is selected. */
export function openUid(s: Selection): number | null {
  return s.uids.length === 1 && s.focus !== null && s.uids[0] === s.focus ? s.focus : null;
}
