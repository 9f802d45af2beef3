import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServerSearchQuery } from '../../../shared/contract';
import { searchCriteria } from './criteria';

// imapflow's own compiler (not an export of the package: loaded by path), so the test sees
// exactly the search keys imapflow sends.
const require = createRequire(import.meta.url);
const { searchCompiler } = require(join(dirname(require.resolve('imapflow')), 'search-compiler.js')) as {
  searchCompiler: (connection: unknown, query: unknown) => unknown[];
};

/** The IMAP command line imapflow would send (attributes flattened to text). */
function compile(q: ServerSearchQuery): string {
  const connection = { capabilities: new Map(), enabled: new Set() };
  const attrs = searchCompiler(connection, searchCriteria(q));
  const text = (a: unknown): string => {
    if (Array.isArray(a)) return `(${a.map(text).join(' ')})`;
    const { type, value } = a as { type: string; value: unknown };
    if (type === 'LITERAL') return `{${String(value)}}`;
    return String(value);
  };
  return attrs.map(text).join(' ');
}

describe('searchCriteria', () => {
  it('matches everything for an empty query', () => {
    expect(searchCriteria({})).toEqual({ all: true });
  });

  it('ANDs repeated keys through nested groups', () => {
    expect(compile({ text: ['budget', 'review'] })).toBe('TEXT budget NOT NOT TEXT review');
    expect(compile({ text: ['a', 'b', 'c'], from: ['ann'] })).toBe('TEXT a FROM ann NOT NOT (TEXT b NOT NOT TEXT c)');
  });

  it('maps flags, dates, To/Cc and the attachment heuristic', () => {
    expect(compile({ unseen: true, flagged: false, since: '2024-03-01', before: '2024-04-01' })).toBe(
      'SINCE 01-Mar-2024 BEFORE 01-Apr-2024 UNSEEN UNFLAGGED',
    );
    expect(compile({ to: ['bob'] })).toBe('OR TO bob CC bob');
    expect(compile({ to: ['bob', 'carol'] })).toBe('OR TO bob CC bob NOT NOT OR TO carol CC carol');
    expect(compile({ attachment: true })).toBe('HEADER CONTENT-TYPE multipart/mixed');
  });

  it('excludes with one NOT over an OR, and still ANDs the rest when NOT and OR are both taken', () => {
    expect(compile({ not: { text: ['spam'] } })).toBe('NOT TEXT spam');
    expect(compile({ not: { text: ['spam', 'ads'], from: ['noreply'] } })).toBe('NOT OR OR TEXT spam TEXT ads FROM noreply');
    const both = compile({ to: ['bob', 'carol'], text: ['x', 'y'], not: { text: ['spam'] } });
    // Level 1 holds TEXT x, NOT spam and the link; "bob" and "y" go one level down, "carol" two.
    expect(both).toBe('TEXT x (OR TO bob CC bob TEXT y NOT NOT OR TO carol CC carol) NOT TEXT spam');
  });
});
