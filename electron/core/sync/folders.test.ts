import type { ListResponse } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { FolderSchema, type SyncDelta } from '../../../shared/contract';
import { FolderBook } from './folder-book';
import { sameStatus, toFolders } from './folders';

const entry = (path: string, flags: string[] = [], extra: Partial<ListResponse> = {}): ListResponse => {
  const parts = path.split('/');
  return {
    path,
    pathAsListed: path,
    name: parts[parts.length - 1]!,
    delimiter: '/',
    parent: parts.slice(0, -1),
    parentPath: parts.slice(0, -1).join('/'),
    flags: new Set(flags),
    listed: true,
    subscribed: true,
    status: { path, messages: 10, unseen: 3, uidNext: 11, uidValidity: 77n, highestModseq: 5n },
    ...extra,
  };
};

describe('toFolders', () => {
  it('maps LIST (with LIST-STATUS) to contract folders: roles, hierarchy, counts, selectability', () => {
    const listed = toFolders('acct-alice', [
      entry('Work/Projects'),
      entry('Sent', ['\\Sent'], { specialUse: '\\Sent', specialUseSource: 'extension' }),
      entry('Deleted Items'),
      entry('Work', ['\\Noselect', '\\HasChildren'], { status: undefined }),
      entry('INBOX', [], { subscribed: false }),
    ]);
    for (const l of listed) expect(FolderSchema.safeParse(l.folder).success).toBe(true);
    expect(listed.map((l) => l.folder.path)).toEqual(['INBOX', 'Deleted Items', 'Sent', 'Work', 'Work/Projects']);
    const byPath = Object.fromEntries(listed.map((l) => [l.folder.path, l.folder]));
    expect(byPath.INBOX).toMatchObject({ specialUse: 'inbox', subscribed: false, total: 10, unread: 3, parentPath: null });
    expect(byPath.Sent!.specialUse).toBe('sent');
    expect(byPath['Deleted Items']!.specialUse).toBe('trash');
    expect(byPath.Work).toMatchObject({ selectable: false, total: 0, unread: 0 });
    expect(byPath['Work/Projects']).toMatchObject({ parentPath: 'Work', name: 'Projects', delimiter: '/' });
    expect(listed[0]!.status).toEqual({ uidValidity: '77', uidNext: 11, messages: 10, unseen: 3, highestModseq: '5' });
  });

  it('compares STATUS answers', () => {
    const s = { uidValidity: '1', uidNext: 5, messages: 4, unseen: 1, highestModseq: '9' };
    expect(sameStatus(s, { ...s })).toBe(true);
    expect(sameStatus(s, { ...s, unseen: 0 })).toBe(false);
    expect(sameStatus(s, null)).toBe(false);
  });
});

describe('FolderBook', () => {
  it('sends the list when it changes, counts when only they change, and reports removed folders', () => {
    const book = new FolderBook('acct-alice');
    const out: SyncDelta[] = [];
    const emit = (d: SyncDelta) => out.push(d);
    const list = (unseen: number, ...paths: string[]) =>
      toFolders(
        'acct-alice',
        paths.map((p) => entry(p, [], { status: { path: p, messages: 10, unseen, uidNext: 11, uidValidity: 1n } })),
      );
    expect(book.apply(list(3, 'INBOX', 'A'), emit)).toEqual([]);
    expect(book.apply(list(3, 'INBOX', 'A'), emit)).toEqual([]);
    expect(book.apply(list(2, 'INBOX', 'A'), emit)).toEqual([]);
    expect(book.apply(list(2, 'INBOX'), emit)).toEqual(['A']);
    expect(out.map((d) => d.kind)).toEqual(['folders', 'folderStatus', 'folderStatus', 'folders']);
    book.reset();
    book.apply(list(2, 'INBOX'), emit);
    expect(out).toHaveLength(5);
  });
});
