/**
 * Which role a folder plays. The server says so with SPECIAL-USE attributes (RFC 6154)
 * where it can; otherwise the usual names decide, but only for a role no folder claims
 * by attribute, and only once per role, so "Sent Items" next to a real \Sent folder
 * stays an ordinary folder.
 */
import type { SpecialUse } from '../../../shared/contract';

const BY_ATTRIBUTE: Record<string, SpecialUse> = {
  '\\inbox': 'inbox',
  '\\drafts': 'drafts',
  '\\sent': 'sent',
  '\\trash': 'trash',
  '\\junk': 'junk',
  '\\archive': 'archive',
  '\\all': 'all',
  '\\flagged': 'flagged',
};

/** Names people and servers give these folders (compared case-insensitively, whole name). */
const BY_NAME: Record<string, Exclude<SpecialUse, 'inbox' | 'all' | 'flagged'>> = {
  sent: 'sent',
  'sent items': 'sent',
  'sent messages': 'sent',
  'sent mail': 'sent',
  drafts: 'drafts',
  draft: 'drafts',
  trash: 'trash',
  'deleted items': 'trash',
  'deleted messages': 'trash',
  bin: 'trash',
  junk: 'junk',
  'junk e-mail': 'junk',
  'junk email': 'junk',
  spam: 'junk',
  'bulk mail': 'junk',
  archive: 'archive',
  archives: 'archive',
};

/** The role a folder's LIST attributes (or imapflow's reading of them) declare, if any. */
export function attributeSpecialUse(flags: Iterable<string>, declared?: string): SpecialUse | null {
  for (const f of flags) {
    const use = BY_ATTRIBUTE[f.toLowerCase()];
    if (use) return use;
  }
  return declared ? (BY_ATTRIBUTE[declared.toLowerCase()] ?? null) : null;
}

/** The role a folder's name suggests (its last segment, or the whole path). */
export function nameSpecialUse(name: string): SpecialUse | null {
  return BY_NAME[name.trim().toLowerCase()] ?? null;
}

export interface SpecialUseCandidate {
  path: string;
  name: string;
  /** Depth in the hierarchy (0 = top level); shallower names win. */
  depth: number;
  flags: Iterable<string>;
  /** imapflow's `specialUse` when it came from the server (source 'extension'). */
  declared?: string;
  selectable: boolean;
}

/**
 * Roles for a whole folder list: INBOX is always 'inbox' (RFC 3501: the name is
 * case-insensitive); attributes win; names fill in roles nobody declared, preferring
 * top-level folders, then the shorter path.
 */
export function assignSpecialUse(folders: readonly SpecialUseCandidate[]): Map<string, SpecialUse> {
  const result = new Map<string, SpecialUse>();
  const claimed = new Set<SpecialUse>();
  for (const f of folders) {
    if (f.path.toUpperCase() === 'INBOX') {
      result.set(f.path, 'inbox');
      claimed.add('inbox');
      continue;
    }
    const use = attributeSpecialUse(f.flags, f.declared);
    if (use && use !== 'inbox') {
      result.set(f.path, use);
      claimed.add(use);
    }
  }
  const byName = folders
    .filter((f) => f.selectable && !result.has(f.path))
    .map((f) => ({ f, use: nameSpecialUse(f.name) }))
    .filter((x): x is { f: SpecialUseCandidate; use: NonNullable<typeof x.use> } => x.use !== null)
    .sort((a, b) => a.f.depth - b.f.depth || a.f.path.length - b.f.path.length || a.f.path.localeCompare(b.f.path));
  for (const { f, use } of byName) {
    if (claimed.has(use)) continue;
    result.set(f.path, use);
    claimed.add(use);
  }
  return result;
}
