import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REFERENCES, trimReferences, type MessageHeader } from '../../../shared/contract';
import { applyBatch } from './apply-deltas';
import { conversationOf, conversationsOf, hasReplyPrefix, normalizeSubject, rowKey, subjectLinked, trashAndJunk } from './conversations';
import type { MessageRecord, PetrelDb } from './schema';
import { A, B, foldersDelta, header, newDb, upsert } from './test-fixtures';

const dbs: PetrelDb[] = [];
function db(): PetrelDb {
  const d = newDb();
  dbs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dbs.splice(0)) await d.delete();
});

const T0 = 1_700_000_000_000;
const HOUR = 3600_000;

function mail(
  accountId: string,
  path: string,
  uid: number,
  o: { id: string | null; refs?: string[]; inReplyTo?: string | null; subject?: string; hours?: number; from?: string; to?: string },
): MessageHeader {
  return {
    ...header(accountId, path, uid, { date: T0 + (o.hours ?? uid) * HOUR, subject: o.subject ?? 'Plans' }),
    messageId: o.id === null ? null : `<${o.id}@x>`,
    references: (o.refs ?? []).map((r) => `<${r}@x>`),
    inReplyTo: o.inReplyTo === undefined ? (o.refs?.length ? `<${o.refs[o.refs.length - 1]}@x>` : null) : o.inReplyTo && `<${o.inReplyTo}@x>`,
    from: [{ name: '', address: o.from ?? 'ann@example.test' }],
    to: [{ name: '', address: o.to ?? 'me@example.test' }],
  };
}

async function store(d: PetrelDb, ...messages: MessageHeader[]): Promise<void> {
  const paths = [...new Set(messages.map((m) => `${m.accountId}\u0000${m.path}`))];
  const accounts = [...new Set(messages.map((m) => m.accountId))];
  await applyBatch(
    d,
    [
      ...accounts.map((a) => foldersDelta(a, ['INBOX', 'Sent', 'Archive', 'Trash', ...paths.filter((p) => p.startsWith(a)).map((p) => p.split('\u0000')[1]!)].filter((p, i, all) => all.indexOf(p) === i))),
      ...paths.map((p) => {
        const [a, path] = p.split('\u0000') as [string, string];
        return upsert(a, path, messages.filter((m) => m.accountId === a && m.path === path));
      }),
    ],
  );
}

const ids = (ms: readonly MessageRecord[]) => ms.map((m) => `${m.path}:${m.uid}`);

describe('conversationOf', () => {
  it('groups a thread across folders, oldest first, from any of its messages', async () => {
    const d = db();
    await store(
      d,
      mail(A, 'INBOX', 1, { id: 'root', hours: 1 }),
      mail(A, 'Sent', 1, { id: 'r1', refs: ['root'], hours: 2, from: 'me@example.test', to: 'ann@example.test' }),
      mail(A, 'INBOX', 2, { id: 'r2', refs: ['root', 'r1'], hours: 3 }),
      mail(A, 'INBOX', 3, { id: 'other', hours: 4 }),
    );
    for (const key of [[A, 'INBOX', 1], [A, 'Sent', 1], [A, 'INBOX', 2]] as const) {
      expect(ids(await conversationOf(d, [...key]))).toEqual(['INBOX:1', 'Sent:1', 'INBOX:2']);
    }
    expect(ids(await conversationOf(d, [A, 'INBOX', 3]))).toEqual(['INBOX:3']);
  });

  it('finds a parent that arrived after its children, and siblings whose middle message is missing', async () => {
    const d = db();
    // The children first: r2 names root and r1 (not cached), r3 names only root.
    await store(d, mail(A, 'INBOX', 5, { id: 'r2', refs: ['root', 'r1'], hours: 3 }), mail(A, 'INBOX', 6, { id: 'r3', refs: ['root', 'r1b'], hours: 4 }));
    expect(ids(await conversationOf(d, [A, 'INBOX', 5]))).toEqual(['INBOX:5', 'INBOX:6']);
    // Now the root comes (a later sync of another folder).
    await store(d, mail(A, 'Archive', 1, { id: 'root', hours: 1 }));
    expect(ids(await conversationOf(d, [A, 'Archive', 1]))).toEqual(['Archive:1', 'INBOX:5', 'INBOX:6']);
    expect(ids(await conversationOf(d, [A, 'INBOX', 6]))).toEqual(['Archive:1', 'INBOX:5', 'INBOX:6']);
  });

  it('follows a chain of In-Reply-To only replies upwards, and References downwards', async () => {
    const d = db();
    await store(
      d,
      mail(A, 'INBOX', 1, { id: 'a', hours: 1 }),
      mail(A, 'INBOX', 2, { id: 'b', refs: [], inReplyTo: 'a', hours: 2 }),
      mail(A, 'INBOX', 3, { id: 'c', refs: [], inReplyTo: 'b', hours: 3 }),
      mail(A, 'INBOX', 4, { id: 'd', refs: ['c'], hours: 4 }),
    );
    expect(ids(await conversationOf(d, [A, 'INBOX', 4]))).toEqual(['INBOX:1', 'INBOX:2', 'INBOX:3', 'INBOX:4']);
  });

  it('shows a message stored in two folders once: the copy in the open folder, else the first', async () => {
    const d = db();
    await store(
      d,
      mail(A, 'INBOX', 1, { id: 'root', hours: 1 }),
      // Your own reply, in Sent and (cc to yourself) in INBOX.
      mail(A, 'Sent', 7, { id: 'mine', refs: ['root'], hours: 2 }),
      mail(A, 'INBOX', 2, { id: 'mine', refs: ['root'], hours: 2 }),
    );
    expect(ids(await conversationOf(d, [A, 'INBOX', 1]))).toEqual(['INBOX:1', 'INBOX:2']);
    expect(ids(await conversationOf(d, [A, 'Sent', 7]))).toEqual(['INBOX:1', 'Sent:7']);
  });

  it('keeps accounts apart: the same Message-ID in another account is another message', async () => {
    const d = db();
    await store(d, mail(A, 'INBOX', 1, { id: 'root' }), mail(A, 'INBOX', 2, { id: 'r', refs: ['root'] }), mail(B, 'INBOX', 1, { id: 'root' }));
    expect(ids(await conversationOf(d, [B, 'INBOX', 1]))).toEqual(['INBOX:1']);
    expect(await conversationOf(d, [A, 'INBOX', 1])).toHaveLength(2);
  });

  it('leaves Trash out unless the open message is there', async () => {
    const d = db();
    await store(d, mail(A, 'INBOX', 1, { id: 'root', hours: 1 }), mail(A, 'Trash', 1, { id: 'r', refs: ['root'], hours: 2 }));
    await d.folders.update([A, 'Trash'], { specialUse: 'trash' });
    const exclude = await trashAndJunk(d, [A]);
    expect([...exclude]).toEqual([`${A}\u0000Trash`]);
    expect(ids(await conversationOf(d, [A, 'INBOX', 1], { exclude }))).toEqual(['INBOX:1']);
    expect(ids(await conversationOf(d, [A, 'Trash', 1], { exclude }))).toEqual(['INBOX:1', 'Trash:1']);
  });

  it('keeps a deep thread whole with References shortened as the engine stores them (root and nearest ancestors)', async () => {
    const d = db();
    // A chain of 40: message k replies to k-1, its References shortened to the root and the last 19.
    const chain = Array.from({ length: 40 }, (_, k) =>
      mail(A, 'INBOX', k + 1, { id: `m${k}`, refs: trimReferences(Array.from({ length: k }, (_, j) => `m${j}`)), hours: k + 1 }),
    );
    expect(chain[39]!.references).toHaveLength(MAX_REFERENCES);
    await store(d, ...chain);
    for (const from of [1, 20, 40]) expect(await conversationOf(d, [A, 'INBOX', from])).toHaveLength(40);
    // With everything between them missing, the last still meets the root: the root is kept.
    const sparse = db();
    await store(sparse, chain[0]!, chain[39]!);
    expect(ids(await conversationOf(sparse, [A, 'INBOX', 1]))).toEqual(['INBOX:1', 'INBOX:40']);
  });

  it('stops growing at the bound', async () => {
    const d = db();
    const replies = Array.from({ length: 30 }, (_, i) => mail(A, 'INBOX', i + 2, { id: `r${i}`, refs: ['root'], hours: i + 2 }));
    await store(d, mail(A, 'INBOX', 1, { id: 'root', hours: 1 }), ...replies);
    expect(await conversationOf(d, [A, 'INBOX', 1], { maxMessages: 10 })).toHaveLength(10);
    expect(await conversationOf(d, [A, 'INBOX', 1])).toHaveLength(31);
  });
});

describe('the subject fallback', () => {
  it('strips reply and forward prefixes in several languages', () => {
    expect(normalizeSubject('Re: RE: Aw: Fwd:  Lunch  plans')).toBe('lunch plans');
    expect(normalizeSubject('Re[2]: Lunch')).toBe('lunch');
    expect(normalizeSubject('Reports for Q3')).toBe('reports for q3');
    expect(hasReplyPrefix('Fw: x')).toBe(true);
    expect(hasReplyPrefix('Regarding x')).toBe(false);
  });

  it('joins a reply without threading headers to its earlier message with the same subject', async () => {
    const d = db();
    await store(
      d,
      mail(A, 'INBOX', 1, { id: 'h1', subject: 'Hello', hours: 1, from: 'ann@example.test' }),
      mail(A, 'Sent', 1, { id: 'h2', refs: [], inReplyTo: null, subject: 'Re: Hello', hours: 5, from: 'me@example.test', to: 'ann@example.test' }),
    );
    expect(ids(await conversationOf(d, [A, 'INBOX', 1]))).toEqual(['INBOX:1', 'Sent:1']);
    expect(ids(await conversationOf(d, [A, 'Sent', 1]))).toEqual(['INBOX:1', 'Sent:1']);
    // The list's cheap mode finds it from the reply only.
    const cheap = await conversationsOf(d, [(await d.messages.get([A, 'Sent', 1]))!], { subject: 'own' });
    expect([...cheap.values()][0]).toHaveLength(2);
    expect(ids(await conversationOf(d, [A, 'INBOX', 1], { subject: 'off' }))).toEqual(['INBOX:1']);
  });

  it('does not merge unrelated "Hello" mails', async () => {
    const d = db();
    await store(
      d,
      mail(A, 'INBOX', 1, { id: 'h1', subject: 'Hello', hours: 1, from: 'ann@example.test' }),
      // Same subject, not a reply.
      mail(A, 'INBOX', 2, { id: 'h2', subject: 'Hello', hours: 2, from: 'bob@example.test' }),
      // A reply by subject between other people.
      mail(A, 'INBOX', 3, { id: 'h3', subject: 'Re: Hello', hours: 3, from: 'carol@example.test', to: 'dave@example.test' }),
      // A reply by subject to Ann, but weeks later.
      mail(A, 'INBOX', 4, { id: 'h4', subject: 'Re: Hello', hours: 24 * 40, from: 'ann@example.test' }),
    );
    for (const uid of [1, 2, 3, 4]) expect(ids(await conversationOf(d, [A, 'INBOX', uid]))).toEqual([`INBOX:${uid}`]);
  });

  it('links only when the later message is the headerless reply', () => {
    const base = { accountId: A, path: 'INBOX', seen: 1, flagged: 0 } as const;
    const m = (o: Parameters<typeof mail>[3], uid: number): MessageRecord => ({ ...mail(A, 'INBOX', uid, o), ...base });
    const original = m({ id: 'o', subject: 'Hello', hours: 1 }, 1);
    const reply = m({ id: 'r', subject: 'RE: hello', hours: 2 }, 2);
    expect(subjectLinked(original, reply)).toBe(true);
    expect(subjectLinked(reply, original)).toBe(true);
    const earlierReply = m({ id: 'r', subject: 'Re: Hello', hours: 0 }, 3);
    expect(subjectLinked(original, earlierReply)).toBe(false);
    expect(subjectLinked(original, m({ id: 'r', refs: ['zzz'], subject: 'Re: Hello', hours: 2 }, 4))).toBe(false);
  });
});

describe('conversationsOf', () => {
  it('answers for many rows in one walk', async () => {
    const d = db();
    await store(
      d,
      mail(A, 'INBOX', 1, { id: 't1' }),
      mail(A, 'INBOX', 2, { id: 't1r', refs: ['t1'] }),
      mail(A, 'INBOX', 3, { id: 't2' }),
      mail(A, 'Sent', 1, { id: 't2r', refs: ['t2'] }),
      mail(A, 'INBOX', 4, { id: 'alone' }),
    );
    const rows = (await d.messages.where('[accountId+path+date]').between([A, 'INBOX', 0], [A, 'INBOX', Infinity]).toArray()).reverse();
    const all = await conversationsOf(d, rows, { subject: 'own' });
    expect(rows.map((r) => all.get(rowKey(r))?.length)).toEqual([1, 2, 2, 2]);
  });
});

describe('conversationsOf, stopped', () => {
  it('rejects with the reason once its signal is aborted, and answers while it is not', async () => {
    const d = db();
    await store(d, mail(A, 'INBOX', 1, { id: 't1' }), mail(A, 'INBOX', 2, { id: 't1r', refs: ['t1'] }));
    const rows = await d.messages.where('[accountId+path+date]').between([A, 'INBOX', 0], [A, 'INBOX', Infinity]).toArray();
    const going = new AbortController();
    expect((await conversationsOf(d, rows, { subject: 'own', signal: going.signal })).get(rowKey(rows[0]!))).toHaveLength(2);
    // Aborted while its first reads are on their way: it stops at the next step.
    const stop = new AbortController();
    const walk = conversationsOf(d, rows, { subject: 'own', signal: stop.signal });
    stop.abort(new Error('rows changed'));
    await expect(walk).rejects.toThrow('rows changed');
  });
});
