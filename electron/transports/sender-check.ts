/**
 * Who may talk to the engine over Electron IPC, decided from plain facts about the
 * sender (no Electron import, so it is unit tested). Only the top frame of a window we
 * registered, showing our own origin, gets through: not an iframe (mail content lives
 * in iframes), not a page the window was somehow navigated to.
 */
export interface SenderFacts {
  /** The message came from a WebContents we registered (matched by id and object). */
  registered: boolean;
  /** The sending frame still exists (Electron gives null once it navigated or died). */
  frameAlive: boolean;
  /** The sending frame is the top frame (no parent). */
  topFrame: boolean;
  /** The sending frame's origin, e.g. `app://petrel` or `http://localhost:5173`. */
  origin: string;
}

export type SenderVerdict = { ok: true } | { ok: false; reason: string };

export function checkSender(facts: SenderFacts, allowedOrigins: readonly string[]): SenderVerdict {
  if (!facts.registered) return { ok: false, reason: 'sender is not a Petrel window' };
  if (!facts.frameAlive) return { ok: false, reason: 'sending frame is gone' };
  if (!facts.topFrame) return { ok: false, reason: 'sender is not the top frame' };
  if (!allowedOrigins.includes(facts.origin)) return { ok: false, reason: `origin ${facts.origin || '(none)'} not allowed` };
  return { ok: true };
}

/**
 * The origin of a URL as Chromium reports it for frames, or undefined if it does not
 * parse. Node's URL says `null` for custom schemes, but Chromium gives a standard
 * scheme (our `app:`) a real `scheme://host` origin, so those are built by hand.
 */
export function originOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.origin;
  if (parsed.host === '') return undefined;
  return `${parsed.protocol}//${parsed.host}`;
}
