import type { ContactRecord } from '../db/schema';

/**
 * Ranking address suggestions. A contact matches when the query (lower case, trimmed) starts
 * its address, the address's domain, or a word of its name. The people you write to come
 * first, the more and the more recently the higher; addresses only seen in mail follow,
 * ordered the same way but worth much less. Recency fades over about a month.
 */

const DAY = 24 * 60 * 60 * 1000;

function fade(now: number, at: number): number {
  if (at <= 0) return 0;
  const days = Math.max(0, (now - at) / DAY);
  return 1 / (1 + days / 30);
}

export function contactScore(c: Pick<ContactRecord, 'sent' | 'lastSent' | 'seen' | 'lastSeen'>, now: number): number {
  // Anyone you wrote to (10 and up) outranks any address only seen (under 10).
  const wrote = c.sent > 0 ? 10 + 10 * Math.log2(1 + c.sent) * (0.5 + fade(now, c.lastSent)) : 0;
  const seen = c.seen > 0 ? Math.min(9.9, Math.log2(1 + c.seen) * (0.5 + fade(now, c.lastSeen))) : 0;
  return wrote + seen / (wrote > 0 ? 10 : 1);
}

export function matches(c: Pick<ContactRecord, 'key' | 'name'>, query: string): boolean {
  if (!query) return false;
  if (c.key.startsWith(query)) return true;
  const at = c.key.indexOf('@');
  if (at >= 0 && c.key.startsWith(query, at + 1)) return true;
  const name = c.name.toLowerCase();
  if (name.startsWith(query)) return true;
  for (let i = name.indexOf(' '); i >= 0; i = name.indexOf(' ', i + 1)) if (name.startsWith(query, i + 1)) return true;
  return false;
}

/** The best `limit` matches, best first (ties: by address). Skips `exclude` (lower-case addresses). */
export function rankContacts(
  contacts: readonly ContactRecord[],
  rawQuery: string,
  options: { now: number; limit: number; exclude?: ReadonlySet<string> },
): ContactRecord[] {
  const query = rawQuery.trim().toLowerCase();
  if (!query) return [];
  const hits: { c: ContactRecord; score: number }[] = [];
  for (const c of contacts) {
    if (options.exclude?.has(c.key) || !matches(c, query)) continue;
    hits.push({ c, score: contactScore(c, options.now) });
  }
  hits.sort((a, b) => b.score - a.score || (a.c.key < b.c.key ? -1 : a.c.key > b.c.key ? 1 : 0));
  return hits.slice(0, options.limit).map((h) => h.c);
}
