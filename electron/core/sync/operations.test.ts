import { describe, expect, it } from 'vitest';
import { OperationSchema, type Folder, type Operation, type OperationDraft } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { OpMemo } from './op-memo';
import { planOperation } from './operations';

const A = 'acct-aaaa';
const folder = (path: string, specialUse: Folder['specialUse'] = null, selectable = true): Folder => ({
  accountId: A,
  path,
  name: path,
  delimiter: '/',
  parentPath: null,
  specialUse,
  subscribed: true,
  selectable,
  total: 0,
  unread: 0,
});
const ALL = [folder('INBOX', 'inbox'), folder('Trash', 'trash'), folder('Archive', 'archive'), folder('Junk', 'junk'), folder('Work'), folder('Group', null, false)];
let n = 0;
const op = (o: Partial<OperationDraft> & Pick<OperationDraft, 'kind'>): Operation =>
  OperationSchema.parse({ opId: `op-unit-${++n}-xyz`, accountId: A, path: 'INBOX', uidValidity: '7', uids: [1, 2], ...o });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof PetrelError ? e.code : 'other';
  }
  return undefined;
}

describe('the operations contract', () => {
  it('accepts flags and keywords, refuses \\Recent, \\Deleted, specials and empty changes', () => {
    const base = { opId: 'op-12345678', accountId: A, path: 'INBOX', uidValidity: '7', uids: [1] };
    expect(OperationSchema.safeParse({ ...base, kind: 'flags', add: ['\\Seen', '$Junk'] }).success).toBe(true);
    for (const bad of ['\\Recent', '\\deleted', 'a b', 'x)', '', 'a"b']) {
      expect(OperationSchema.safeParse({ ...base, kind: 'flags', add: [bad] }).success, bad).toBe(false);
    }
    expect(OperationSchema.safeParse({ ...base, kind: 'flags' }).success).toBe(false);
    expect(OperationSchema.safeParse({ ...base, kind: 'flags', add: ['\\Seen'], remove: ['\\seen'] }).success).toBe(false);
    expect(OperationSchema.safeParse({ ...base, kind: 'move', to: 'INBOX' }).success).toBe(false);
    expect(OperationSchema.safeParse({ ...base, kind: 'delete', uids: [] }).success).toBe(false);
    expect(OperationSchema.safeParse({ ...base, kind: 'delete', opId: 'short' }).success).toBe(false);
    expect(OperationSchema.safeParse({ ...base, kind: 'delete', extra: 1 }).success).toBe(false);
  });
});

describe('planOperation', () => {
  it('maps each kind to flags and an action', () => {
    expect(planOperation(op({ kind: 'flags', add: ['\\Seen'] }), ALL)).toEqual({
      flags: { add: ['\\Seen'], remove: [], strict: true },
      action: { kind: 'none' },
    });
    expect(planOperation(op({ kind: 'move', to: 'Work' }), ALL).action).toEqual({ kind: 'move', to: 'Work' });
    expect(planOperation(op({ kind: 'copy', to: 'Work' }), ALL).action).toEqual({ kind: 'copy', to: 'Work' });
    expect(planOperation(op({ kind: 'delete' }), ALL).action).toEqual({ kind: 'move', to: 'Trash' });
    expect(planOperation(op({ kind: 'delete', path: 'Trash' }), ALL).action).toEqual({ kind: 'expunge' });
    expect(planOperation(op({ kind: 'archive' }), ALL).action).toEqual({ kind: 'move', to: 'Archive' });
    expect(planOperation(op({ kind: 'archive', path: 'Archive' }), ALL).action).toEqual({ kind: 'none' });
    const spam = planOperation(op({ kind: 'spam' }), ALL);
    expect(spam).toEqual({ flags: { add: ['$Junk'], remove: ['$NotJunk'], strict: false }, action: { kind: 'move', to: 'Junk' } });
    expect(planOperation(op({ kind: 'spam', path: 'Junk' }), ALL).action).toEqual({ kind: 'none' });
  });

  it('names a missing special folder or destination (NOT_FOUND)', () => {
    const none = ALL.filter((f) => f.specialUse === null || f.specialUse === 'inbox');
    for (const kind of ['delete', 'archive', 'spam'] as const) {
      expect(codeOf(() => planOperation(op({ kind }), none))).toBe('NOT_FOUND');
    }
    try {
      planOperation(op({ kind: 'archive' }), none);
    } catch (e) {
      expect((e as PetrelError).message).toContain('no Archive folder');
      expect((e as PetrelError).details).toEqual({ specialUse: 'archive' });
    }
    expect(codeOf(() => planOperation(op({ kind: 'move', to: 'Gone' }), ALL))).toBe('NOT_FOUND');
    expect(codeOf(() => planOperation(op({ kind: 'copy', to: 'Group' }), ALL))).toBe('NOT_FOUND');
    // Folders not listed yet: the server decides.
    expect(planOperation(op({ kind: 'move', to: 'Gone' }), []).action).toEqual({ kind: 'move', to: 'Gone' });
  });
});

describe('OpMemo', () => {
  const outcome = (opId: string) => ({ opId, to: 'Work', toUidValidity: '3', uidMap: [[1, 10]] as [number, number][], removed: true });

  it('answers a completed opId with the stored result, and joins one that is running', async () => {
    const memo = new OpMemo();
    const o = op({ kind: 'move', to: 'Work' });
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fn = async () => {
      runs++;
      await gate;
      return outcome(o.opId);
    };
    const a = memo.run(o, fn);
    const b = memo.run(o, fn);
    release();
    expect(await a).toEqual({ ...outcome(o.opId), replayed: false });
    expect(await b).toEqual({ ...outcome(o.opId), replayed: false });
    expect(await memo.run(o, fn)).toEqual({ ...outcome(o.opId), replayed: true });
    expect(runs).toBe(1);
    await expect(memo.run({ ...o, to: 'INBOX' } as Operation, fn)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('forgets failures and expired or excess entries', async () => {
    let now = 0;
    const memo = new OpMemo({ ttlMs: 1000, maxEntries: 2, now: () => now });
    const o = op({ kind: 'delete' });
    await expect(memo.run(o, () => Promise.reject(new PetrelError('DISCONNECTED', 'x')))).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect((await memo.run(o, async () => outcome(o.opId))).replayed).toBe(false);
    expect((await memo.run(o, async () => outcome(o.opId))).replayed).toBe(true);
    now = 2000;
    expect((await memo.run(o, async () => outcome(o.opId))).replayed).toBe(false);
    for (let i = 0; i < 3; i++) {
      const x = op({ kind: 'delete' });
      await memo.run(x, async () => outcome(x.opId));
    }
    expect(memo.size).toBe(2);
  });
});
