import { describe, expect, it, vi } from 'vitest';
import {
  ALLOWLIST_KEY,
  allowedSenders,
  allowSender,
  disallowSender,
  isSenderAllowed,
  normalizeAddress,
  subscribeAllowlist,
  type AllowlistStorage,
} from './remote-allowlist';

function memoryStorage(initial?: string): AllowlistStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  if (initial !== undefined) data.set(ALLOWLIST_KEY, initial);
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
  };
}

describe('remote-allowlist', () => {
  it('uses a versioned key', () => {
    expect(ALLOWLIST_KEY).toMatch(/\.v1$/);
  });

  it('allows and disallows senders, case-insensitively, persisted as JSON', () => {
    const s = memoryStorage();
    expect(isSenderAllowed('news@shop.example', s)).toBe(false);
    expect(allowSender(' News@Shop.Example ', s)).toBe(true);
    expect(isSenderAllowed('news@shop.example', s)).toBe(true);
    expect(isSenderAllowed('<NEWS@shop.example>', s)).toBe(true);
    expect(isSenderAllowed('other@shop.example', s)).toBe(false);
    expect(JSON.parse(s.data.get(ALLOWLIST_KEY) ?? '')).toEqual(['news@shop.example']);
    allowSender('a@b.example', s);
    expect(allowedSenders(s)).toEqual(['a@b.example', 'news@shop.example']);
    expect(disallowSender('NEWS@shop.example', s)).toBe(true);
    expect(isSenderAllowed('news@shop.example', s)).toBe(false);
    expect(allowedSenders(s)).toEqual(['a@b.example']);
  });

  it('refuses what is not an address', () => {
    const s = memoryStorage();
    for (const bad of ['', 'nobody', '@example.com', 'a b@example.com', `${'x'.repeat(320)}@e.example`]) {
      expect(allowSender(bad, s), bad).toBe(false);
      expect(isSenderAllowed(bad, s), bad).toBe(false);
    }
    expect(s.data.size).toBe(0);
    expect(normalizeAddress('A@B.c')).toBe('a@b.c');
  });

  it('reads a corrupt or foreign value as an empty list, and recovers on the next write', () => {
    for (const raw of ['{not json', '{"a":1}', '"a@b.example"', '[1, null, "ok@x.example", "bad"]']) {
      const s = memoryStorage(raw);
      expect(isSenderAllowed('a@b.example', s), raw).toBe(false);
    }
    const s = memoryStorage('[1, null, "ok@x.example", "bad"]');
    expect(allowedSenders(s)).toEqual(['ok@x.example']);
    allowSender('new@x.example', s);
    expect(JSON.parse(s.data.get(ALLOWLIST_KEY) ?? '')).toEqual(['new@x.example', 'ok@x.example']);
  });

  it('survives storage that throws or is missing', () => {
    const throwing: AllowlistStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    expect(isSenderAllowed('a@b.example', throwing)).toBe(false);
    expect(allowSender('a@b.example', throwing)).toBe(false);
    expect(allowSender('a@b.example', null)).toBe(false);
    expect(isSenderAllowed('a@b.example', null)).toBe(false);
  });

  it('tells subscribers about changes', () => {
    const s = memoryStorage();
    const listener = vi.fn();
    const stop = subscribeAllowlist(listener);
    allowSender('a@b.example', s);
    expect(listener).toHaveBeenCalledTimes(1);
    allowSender('a@b.example', s); // already there: no write, no call
    expect(listener).toHaveBeenCalledTimes(1);
    disallowSender('a@b.example', s);
    expect(listener).toHaveBeenCalledTimes(2);
    stop();
    allowSender('c@d.example', s);
    expect(listener).toHaveBeenCalledTimes(2);
  });
});
