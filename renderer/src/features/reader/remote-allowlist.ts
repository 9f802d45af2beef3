/**
 * Senders whose remote images the person chose to always load ("Always for <address>").
 * A UI preference, not mail state: it lives in localStorage, not in the mail store, under
 * a versioned key (a later format gets a new key and may migrate this one).
 *
 * Note for whoever extends this: the From address is not authenticated, so a forged
 * message "from" an allowed sender loads its images too. Tracking pixels still never load.
 */

export const ALLOWLIST_KEY = 'petrel.remoteContent.allowedSenders.v1';

/** The part of the Storage API used here (tests pass a Map-backed one). */
export type AllowlistStorage = Pick<Storage, 'getItem' | 'setItem'>;

const MAX_SENDERS = 10_000;
const listeners = new Set<() => void>();

function defaultStorage(): AllowlistStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    // Access itself throws where storage is disabled.
    return null;
  }
}

/** Addresses compare case-insensitively and without surrounding spaces or angle brackets. */
export function normalizeAddress(address: string): string | null {
  const a = address.trim().replace(/^<|>$/g, '').trim().toLowerCase();
  if (a.length < 3 || a.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(a)) return null;
  return a;
}

function read(storage: AllowlistStorage | null): Set<string> {
  if (!storage) return new Set();
  let raw: string | null;
  try {
    raw = storage.getItem(ALLOWLIST_KEY);
  } catch {
    return new Set();
  }
  if (raw === null) return new Set();
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return new Set();
    const out = new Set<string>();
    for (const v of parsed) {
      const a = typeof v === 'string' ? normalizeAddress(v) : null;
      if (a) out.add(a);
    }
    return out;
  } catch {
    // A corrupt value means nothing is allowed (the safe reading); the next write replaces it.
    return new Set();
  }
}

function write(storage: AllowlistStorage | null, senders: Set<string>): boolean {
  if (!storage) return false;
  try {
    storage.setItem(ALLOWLIST_KEY, JSON.stringify([...senders].sort().slice(0, MAX_SENDERS)));
  } catch {
    return false;
  }
  for (const l of listeners) l();
  return true;
}

export function isSenderAllowed(address: string, storage: AllowlistStorage | null = defaultStorage()): boolean {
  const a = normalizeAddress(address);
  return a !== null && read(storage).has(a);
}

export function allowedSenders(storage: AllowlistStorage | null = defaultStorage()): string[] {
  return [...read(storage)].sort();
}

/** Returns whether the preference was saved (false: not an address, or storage failed). */
export function allowSender(address: string, storage: AllowlistStorage | null = defaultStorage()): boolean {
  const a = normalizeAddress(address);
  if (a === null) return false;
  const senders = read(storage);
  if (senders.has(a)) return true;
  if (senders.size >= MAX_SENDERS) return false;
  senders.add(a);
  return write(storage, senders);
}

export function disallowSender(address: string, storage: AllowlistStorage | null = defaultStorage()): boolean {
  const a = normalizeAddress(address);
  if (a === null) return false;
  const senders = read(storage);
  if (!senders.delete(a)) return true;
  return write(storage, senders);
}

/**
 * Calls `listener` after every change made here, and after changes in other windows of the
 * app (the storage event). For useSyncExternalStore.
 */
export function subscribeAllowlist(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (e: StorageEvent) => {
    if (e.key === null || e.key === ALLOWLIST_KEY) listener();
  };
  const target = typeof window === 'undefined' ? null : window;
  target?.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    target?.removeEventListener('storage', onStorage);
  };
}
