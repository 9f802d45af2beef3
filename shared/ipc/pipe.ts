/**
 * The Electron pipe: the one object the sandboxed preload exposes to the renderer
 * (`window.petrelPipe`), and the framing both ends put on it.
 *
 * This file must import nothing: the preload bundles it, and a sandboxed preload
 * cannot load modules at run time.
 */

/** The one IPC channel between the preload and the main process. */
export const PIPE_CHANNEL = 'petrel:rpc';

/**
 * What the preload exposes. It carries plain objects (pipe frames) both ways and
 * nothing else: no ipcRenderer, no event objects.
 */
export interface PetrelPipe {
  send(message: unknown): void;
  /** Listens to frames from the main process; returns the unsubscribe function. */
  onMessage(listener: (message: unknown) => void): () => void;
}

/**
 * The pipe lives as long as the page, but an RPC connection may not: the renderer's
 * Connection opens a new transport after every failure. Each transport is a session
 * with its own id, so a new session never receives a stale reply or event of an old
 * one (RPC ids restart at 1), and ending one tells the other side to drop its calls
 * and subscriptions.
 */
export type PipeFrame =
  /** An RPC message of session `s`. */
  | { s: string; m: unknown }
  /** Session `s` ended, for `end` (a short reason). */
  | { s: string; end: string };

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_REASON = 200;

export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}

/** Validates a frame from the other side; undefined for anything malformed. */
export function parsePipeFrame(raw: unknown): PipeFrame | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const frame = raw as { s?: unknown; m?: unknown; end?: unknown };
  if (!isSessionId(frame.s)) return undefined;
  if ('end' in frame) {
    return typeof frame.end === 'string' ? { s: frame.s, end: frame.end.slice(0, MAX_REASON) } : undefined;
  }
  if ('m' in frame && typeof frame.m === 'object' && frame.m !== null) return { s: frame.s, m: frame.m };
  return undefined;
}

export function isEndFrame(frame: PipeFrame): frame is { s: string; end: string } {
  return 'end' in frame;
}
