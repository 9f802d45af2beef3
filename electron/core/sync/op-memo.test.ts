import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OperationSchema, type Operation, type OperationDraft } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { OpMemo } from './op-memo';

let n = 0;
const op = (o: Partial<OperationDraft> & Pick<OperationDraft, 'kind'>): Operation =>
  OperationSchema.parse({ opId: `op-journal-${++n}-xyz`, accountId: 'acct-aaaa', path: 'INBOX', uidValidity: '7', uids: [1, 2], ...o });
const outcome = (opId: string) => ({ opId, to: 'Work', toUidValidity: '3', uidMap: [[1, 10]] as [number, number][], removed: false });

describe('OpMemo journal (copies and moves across engine restarts)', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'petrel-opmemo-'));
    file = join(dir, 'operations.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('a copy completed before a restart is answered from the journal, not run again', async () => {
    const o = op({ kind: 'copy', to: 'Work' });
    const calls: boolean[] = [];
    const fn = async (uncertain: boolean) => {
      calls.push(uncertain);
      return outcome(o.opId);
    };
    expect(await new OpMemo({ file }).run(o, fn)).toEqual({ ...outcome(o.opId), replayed: false });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await new OpMemo({ file }).run(o, fn)).toEqual({ ...outcome(o.opId), replayed: true });
    expect(calls).toEqual([false]);
  });

  it('a copy that was started and never finished runs again as uncertain, in this life and the next', async () => {
    const o = op({ kind: 'copy', to: 'Work' });
    const first = new OpMemo({ file });
    await expect(first.run(o, () => Promise.reject(new PetrelError('DISCONNECTED', 'lost')))).rejects.toMatchObject({ code: 'DISCONNECTED' });
    const calls: boolean[] = [];
    const fn = async (uncertain: boolean) => {
      calls.push(uncertain);
      throw new PetrelError('DISCONNECTED', 'lost again');
    };
    await expect(first.run(o, fn)).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(new OpMemo({ file }).run(o, fn)).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(calls).toEqual([true, true]);
    const after = new OpMemo({ file });
    expect((await after.run(o, async (u) => (calls.push(u), outcome(o.opId)))).replayed).toBe(false);
    expect(calls).toEqual([true, true, true]);
    expect((await new OpMemo({ file }).run(o, async () => outcome('never-used'))).replayed).toBe(true);
  });

  it('the entry is on disk before the command runs', async () => {
    const o = op({ kind: 'move', to: 'Work' });
    let seen = '';
    await new OpMemo({ file }).run(o, async () => {
      seen = await readFile(file, 'utf8');
      return outcome(o.opId);
    });
    expect(seen).toContain(o.opId);
    expect(seen).not.toContain('"result"');
  });

  it('flag changes and deletions are not journaled (harmless to repeat)', async () => {
    const o = op({ kind: 'flags', add: ['\\Seen'] });
    await new OpMemo({ file }).run(o, async () => outcome(o.opId));
    const calls: boolean[] = [];
    const again = await new OpMemo({ file }).run(o, async (u) => (calls.push(u), outcome(o.opId)));
    expect(again.replayed).toBe(false);
    expect(calls).toEqual([false]);
  });

  it('an opId reused for another operation after a restart is refused', async () => {
    const o = op({ kind: 'copy', to: 'Work' });
    await new OpMemo({ file }).run(o, async () => outcome(o.opId));
    await expect(new OpMemo({ file }).run({ ...o, to: 'Elsewhere' } as Operation, async () => outcome(o.opId))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('entries older than the journal TTL are dropped', async () => {
    let now = 1_000_000;
    const o = op({ kind: 'copy', to: 'Work' });
    await new OpMemo({ file, now: () => now }).run(o, async () => outcome(o.opId));
    now += 8 * 24 * 3600_000;
    const calls: boolean[] = [];
    expect((await new OpMemo({ file, now: () => now }).run(o, async (u) => (calls.push(u), outcome(o.opId)))).replayed).toBe(false);
    expect(calls).toEqual([false]);
  });

  it('a damaged journal is refused with STORAGE_FAILED rather than forgotten', async () => {
    await writeFile(file, '{"version":1,"entries":[["k",{"fingerprint":1}]]}');
    const o = op({ kind: 'copy', to: 'Work' });
    await expect(new OpMemo({ file }).run(o, async () => outcome(o.opId))).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    await writeFile(file, 'not json');
    await expect(new OpMemo({ file }).run(o, async () => outcome(o.opId))).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
  });
});
