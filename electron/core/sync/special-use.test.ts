import { describe, expect, it } from 'vitest';
import { assignSpecialUse, attributeSpecialUse, nameSpecialUse, type SpecialUseCandidate } from './special-use';

const f = (path: string, flags: string[] = [], extra: Partial<SpecialUseCandidate> = {}): SpecialUseCandidate => ({
  path,
  name: path.split('/').pop()!,
  depth: path.split('/').length - 1,
  flags,
  selectable: true,
  ...extra,
});

describe('special-use', () => {
  it('reads RFC 6154 attributes, case-insensitively', () => {
    expect(attributeSpecialUse(['\\HasNoChildren', '\\Sent'])).toBe('sent');
    expect(attributeSpecialUse(['\\TRASH'])).toBe('trash');
    expect(attributeSpecialUse(['\\HasChildren'], '\\Junk')).toBe('junk');
    expect(attributeSpecialUse([])).toBeNull();
  });

  it('knows the usual names', () => {
    for (const [name, use] of [
      ['Sent', 'sent'],
      ['sent items', 'sent'],
      ['Sent Messages', 'sent'],
      ['Drafts', 'drafts'],
      ['Trash', 'trash'],
      ['Deleted Items', 'trash'],
      ['JUNK', 'junk'],
      ['Spam', 'junk'],
      ['Archive', 'archive'],
    ] as const)
      expect(nameSpecialUse(name)).toBe(use);
    expect(nameSpecialUse('Sent to clients')).toBeNull();
  });

  it('lets attributes win, fills in by name only roles nobody declared, once', () => {
    const roles = assignSpecialUse([
      f('INBOX'),
      f('Sent Items'),
      f('Sent', ['\\Sent']),
      f('Projects/Trash'),
      f('Deleted Items'),
      f('Spam'),
      f('Junk'),
      f('Archive', [], { selectable: false }),
      f('inbox/Archive'),
    ]);
    expect(Object.fromEntries(roles)).toEqual({
      INBOX: 'inbox',
      Sent: 'sent',
      'Deleted Items': 'trash',
      // Same depth: the shorter path wins.
      Junk: 'junk',
      'inbox/Archive': 'archive',
    });
  });

  it('treats any casing of INBOX as the inbox (RFC 3501 5.1)', () => {
    expect(assignSpecialUse([f('Inbox')]).get('Inbox')).toBe('inbox');
  });
});
