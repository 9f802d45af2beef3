import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log';
import { SubmissionJournal } from './journal';

const log = createLogger('test', () => undefined);
let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'petrel-journal-'));
  file = join(dir, 'outbox-journal.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the submission journal', () => {
  it('keeps every state across a restart (a new instance reading the same file)', async () => {
    const a = new SubmissionJournal(file, { log });
    await a.set('<1@x>', { accountId: 'acc', state: 'submitting' });
    await a.set('<2@x>', { accountId: 'acc', state: 'submitting' });
    await a.set('<2@x>', { accountId: 'acc', state: 'submitted', rejected: [{ address: 'c@x', response: '550 no' }] });
    await a.set('<3@x>', { accountId: 'acc', state: 'filed', filedInSent: true });
    // "Killed" here: nothing else is flushed; every set() was on disk when it resolved.
    const b = new SubmissionJournal(file, { log });
    expect((await b.get('<1@x>'))?.state).toBe('submitting');
    expect(await b.get('<2@x>')).toMatchObject({ state: 'submitted', rejected: [{ address: 'c@x', response: '550 no' }] });
    expect(await b.get('<3@x>')).toMatchObject({ state: 'filed', filedInSent: true });
    expect(await b.get('<4@x>')).toBeUndefined();
  });

  it('keeps the first timestamp and forgets deleted entries', async () => {
    let now = 1000;
    const j = new SubmissionJournal(file, { log, now: () => now });
    await j.set('<1@x>', { accountId: 'acc', state: 'submitting' });
    now = 2000;
    await j.set('<1@x>', { accountId: 'acc', state: 'submitted' });
    expect(await j.get('<1@x>')).toMatchObject({ createdAt: 1000, updatedAt: 2000 });
    await j.delete('<1@x>');
    expect(await new SubmissionJournal(file, { log }).get('<1@x>')).toBeUndefined();
  });

  it('holds no mail: ids, states and times only', async () => {
    const j = new SubmissionJournal(file, { log });
    await j.set('<1@x>', { accountId: 'acc', state: 'filed', filedInSent: true, draftRemoved: false });
    const text = await readFile(file, 'utf8');
    expect(Object.keys(JSON.parse(text).entries[0]).sort()).toEqual(
      ['accountId', 'createdAt', 'draftRemoved', 'filedInSent', 'messageId', 'state', 'updatedAt'].sort(),
    );
  });

  it('serializes concurrent writes: none is lost', async () => {
    const j = new SubmissionJournal(file, { log });
    await Promise.all(Array.from({ length: 20 }, (_, i) => j.set(`<${i}@x>`, { accountId: 'acc', state: 'submitting' })));
    const again = new SubmissionJournal(file, { log });
    for (let i = 0; i < 20; i++) expect((await again.get(`<${i}@x>`))?.state).toBe('submitting');
  });

  it('drops entries older than the retention when it loads', async () => {
    let now = 0;
    const j = new SubmissionJournal(file, { log, now: () => now });
    await j.set('<old@x>', { accountId: 'acc', state: 'filed' });
    now = 10_000;
    await j.set('<new@x>', { accountId: 'acc', state: 'filed' });
    const later = new SubmissionJournal(file, { log, now: () => 10_500, retentionMs: 1000 });
    expect(await later.get('<old@x>')).toBeUndefined();
    expect(await later.get('<new@x>')).toBeDefined();
  });

  it('moves a damaged file aside and starts empty', async () => {
    await writeFile(file, '{"version":1,"entries":[{"messageId":');
    const j = new SubmissionJournal(file, { log });
    expect(await j.get('<1@x>')).toBeUndefined();
    expect((await readdir(dir)).some((f) => f.startsWith('outbox-journal.json.corrupt-'))).toBe(true);
    await j.set('<1@x>', { accountId: 'acc', state: 'submitting' });
    expect((await new SubmissionJournal(file, { log }).get('<1@x>'))?.state).toBe('submitting');
  });

  it('says STORAGE_FAILED when it cannot be read or written', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const j = new SubmissionJournal(join(blocker, 'journal.json'), { log });
    await expect(j.set('<1@x>', { accountId: 'acc', state: 'submitting' })).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    await expect(j.get('<1@x>')).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
  });
});
