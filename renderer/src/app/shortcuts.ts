import { isTypingTarget } from '../features/search/SearchBox';

/**
 * The keyboard layer: every single-key shortcut of the app, in one table (the `?` dialog shows
 * it) and one decision of who handles a key.
 *
 * - The message list handles its keys itself while it has focus (MessageList.tsx); elsewhere
 *   (the reader, a toolbar button, nothing focused) they are forwarded to it here, so j/k
 *   work wherever one reads.
 * - `/` is the search box's own (SearchBox.tsx); it is listed here.
 * - App-wide commands (`c`, `g` then `i`, `?`) are handled here.
 * Nothing happens while one types (inputs, editors) or inside a dialog (the composer is one),
 * or with Ctrl, Cmd or Alt held: those belong to the browser and the system.
 */

export interface Shortcut {
  keys: string;
  does: string;
}

export const SHORTCUTS: readonly { group: string; items: readonly Shortcut[] }[] = [
  {
    group: 'Messages',
    items: [
      { keys: 'j / k', does: 'Next / previous message (Shift: extend the selection)' },
      { keys: 'Home / End', does: 'Newest / oldest message of the list' },
      { keys: 'o or Enter', does: 'Open the message in the reader' },
      { keys: 'u', does: 'Mark as read or unread' },
      { keys: 's', does: 'Star or unstar' },
      { keys: 'e', does: 'Archive' },
      { keys: '#', does: 'Delete' },
      { keys: '!', does: 'Mark as spam' },
      { keys: 'v', does: 'Move to a folder' },
      { keys: 'r', does: 'Reply' },
      { keys: 'a', does: 'Reply all' },
      { keys: 'f', does: 'Forward' },
    ],
  },
  {
    group: 'Everywhere',
    items: [
      { keys: 'c', does: 'New message' },
      { keys: '/', does: 'Search' },
      { keys: 'g then i', does: 'Go to the inbox' },
      { keys: '?', does: 'Show these shortcuts' },
    ],
  },
];

/** Keys the message list acts on, forwarded to it when focus is elsewhere. */
export const LIST_KEYS: ReadonlySet<string> = new Set(['j', 'k', 'J', 'K', 'u', 's', 'e', '#', '!', 'v', 'o', 'r', 'a', 'f']);

export type AppCommand = 'compose' | 'goInbox' | 'help';

const APP_KEYS: Readonly<Record<string, AppCommand>> = { c: 'compose', '?': 'help' };

/** How long after `g` the second key of "g i" counts. */
export const SEQUENCE_MS = 1500;

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  defaultPrevented: boolean;
  target: EventTarget | null;
  /** Milliseconds, any monotonic clock (the event's timeStamp). */
  time: number;
}

export type KeyDecision = { kind: 'app'; command: AppCommand } | { kind: 'list'; key: string } | { kind: 'prefix' } | null;

/** Inside a dialog (modal or the composer) keys are the dialog's. */
function inDialog(target: EventTarget | null): boolean {
  const el = target as Element | null;
  return typeof el?.closest === 'function' && el.closest('dialog, [role="dialog"], [role="alertdialog"]') !== null;
}

/** On a control that Enter activates, Enter is the control's. */
function isInteractive(target: EventTarget | null): boolean {
  const el = target as Element | null;
  return typeof el?.closest === 'function' && el.closest('button, a[href], summary, select, [role="button"], [role="option"], [role="treeitem"], [role="menuitem"], [role="tab"]') !== null;
}

/** Whether the event comes from inside the message list (which handles its own keys). */
function inList(target: EventTarget | null): boolean {
  const el = target as Element | null;
  return typeof el?.closest === 'function' && el.closest('[data-shortcut-scope="list"]') !== null;
}

/** Decides what a key press does; holds the pending `g` of "g i". */
export class KeyLayer {
  private gAt: number | null = null;

  decide(e: KeyInput): KeyDecision {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return null;
    if (isTypingTarget(e.target) || inDialog(e.target)) {
      this.gAt = null;
      return null;
    }
    const pending = this.gAt !== null && e.time - this.gAt <= SEQUENCE_MS;
    this.gAt = null;
    if (pending && e.key === 'i') return { kind: 'app', command: 'goInbox' };
    if (e.key === 'g') {
      this.gAt = e.time;
      return { kind: 'prefix' };
    }
    const command = APP_KEYS[e.key];
    if (command) return { kind: 'app', command };
    if (inList(e.target)) return null;
    if (LIST_KEYS.has(e.key) || (e.key === 'Enter' && !isInteractive(e.target))) return { kind: 'list', key: e.key };
    return null;
  }
}
