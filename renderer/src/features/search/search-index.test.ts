import { Dexie } from 'dexie';
import { describe, expect, it } from 'vitest';
import { parseQuery } from './query';
import { SearchIndex, SNAPSHOT_FORMAT, type IndexableBody, type IndexableMessage } from './search-index';

const T0 = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;

function msg(uid: number, o: Partial<IndexableMessage> = {}): IndexableMessage {
  return {
    accountId: 'a1',
    path: 'INBOX',
    uid,
    date: T0 + uid * DAY,
    seen: 1,
    flagged: 0,
    hasAttachments: false,
    subject: `Message ${uid}`,
    from: [{ name: 'Ada Lovelace', address: 'ada@example.test' }],
    to: [{ name: '', address: 'me@example.test' }],
    cc: [],
    preview: '',
    ...o,
  };
}

/** uids of a query's matches, newest first. */
function find(index: SearchIndex, text: string, folders: Set<number> | null = null, excludeFolders: Set<number> | null = null): number[] {
  const m = index.match(parseQuery(text), { folders, excludeFolders });
  return index.newestFirst(m.docs, m.docs.length).map((d) => index.keyOf(d)![2]);
}

describe('SearchIndex', () => {
  it('ANDs words across fields, folding case and diacritics', () => {
    const index = new SearchIndex();
    index.upsert(msg(1, { subject: 'Crème brûlée recipe', preview: 'bring cream to a boil' }));
    index.upsert(msg(2, { subject: 'Creme brulee party', preview: 'bring friends' }));
    index.upsert(msg(3, { subject: 'Shopping', preview: 'cream and sugar' }));
    expect(find(index, 'creme ')).toEqual([2, 1]);
    expect(find(index, 'CRÈME bring ')).toEqual([2, 1]);
    expect(find(index, 'cream ')).toEqual([3, 1]);
    expect(find(index, 'cream brulee ')).toEqual([1]);
    expect(find(index, 'cream nothing ')).toEqual([]);
  });

  it('finds Cyrillic (decoded from KOI8-R) and Japanese text', () => {
    const index = new SearchIndex();
    const koi8 = new TextDecoder('koi8-r').decode(new Uint8Array([0xef, 0xd4, 0xde, 0xa3, 0xd4, 0x20, 0xda, 0xc1, 0x20, 0xcd, 0xc1, 0xca]));
    index.upsert(msg(1, { subject: koi8 })); // "Отчёт за май"
    index.upsert(msg(2, { subject: '東京都の会議について', preview: '明日の会議は十時からです' }));
    index.upsert(msg(3, { subject: '京都旅行', preview: '写真を送ります' }));
    expect(find(index, 'отчет ')).toEqual([1]);
    expect(find(index, 'Отчёт май ')).toEqual([1]);
    expect(find(index, 'май ')).toEqual([1]);
    expect(find(index, 'май'.toUpperCase() + ' ')).toEqual([1]);
    // Bigrams: 京都 is in both 東京都 and 京都旅行; 東京 only in the first.
    expect(find(index, '京都 ')).toEqual([3, 2]);
    expect(find(index, '東京 ')).toEqual([2]);
    expect(find(index, '会議 ')).toEqual([2]);
    expect(find(index, '写真 ')).toEqual([3]);
    // Three characters: bigram candidates, checked for adjacency by the worker (phrase).
    const m = index.match(parseQuery('東京都 '), { folders: null, excludeFolders: null });
    expect(m.phrases).toMatchObject([{ units: ['東', '京', '都'], mask: 31, prefixLast: false }]);
    // Word order from the unit sequences kept in memory: no record needed.
    expect(m.docs.map((d) => index.hasPhrase(d, m.phrases[0]!))).toEqual([true]);
  });

  it('checks phrases in memory, per field, with the word being typed as a prefix', () => {
    const index = new SearchIndex();
    index.upsert(msg(1, { subject: 'The annual report', preview: 'numbers inside' }));
    index.upsert(msg(2, { subject: 'Report, annual', preview: 'the annual report is late' }));
    index.upsert(msg(3, { subject: 'annual', preview: 'report' }));
    index.upsert(msg(4, { subject: 'x', preview: 'annual reporting season' }));
    const phrase = (text: string) => {
      const m = index.match(parseQuery(text), { folders: null, excludeFolders: null });
      return m.docs
        .filter((d) => m.phrases.every((p) => index.hasPhrase(d, p)))
        .map((d) => index.keyOf(d)![2])
        .sort();
    };
    expect(phrase('"annual report"')).toEqual([1, 2]);
    expect(phrase('subject:"annual report"')).toEqual([1]);
    // Across fields is not a phrase (subject "annual", preview "report").
    expect(phrase('"annual report" ')).not.toContain(3);
    expect(phrase('"annual rep')).toEqual([1, 2, 4]);
    // A message with a cached body: only its record can say (the phrase may be in the body).
    index.upsert(msg(3, { subject: 'annual', preview: 'report' }), { text: 'the annual report', html: null, attachments: [] });
    const m = index.match(parseQuery('"annual report"'), { folders: null, excludeFolders: null });
    const three = m.docs.find((d) => index.keyOf(d)![2] === 3)!;
    expect(index.hasPhrase(three, m.phrases[0]!)).toBeNull();
  });

  it('restricts field operators to their field', () => {
    const index = new SearchIndex();
    index.upsert(msg(1, { subject: 'lunch with bob', from: [{ name: 'Alice', address: 'alice@example.test' }] }));
    index.upsert(msg(2, { subject: 'alice said hi', from: [{ name: 'Bob', address: 'bob@example.test' }] }));
    index.upsert(msg(3, { subject: 'hello', to: [{ name: 'Alice', address: 'alice@example.test' }], from: [{ name: 'Carol', address: 'carol@example.test' }] }));
    index.upsert(msg(4, { subject: 'copy', cc: [{ name: '', address: 'alice@example.test' }] }));
    expect(find(index, 'alice ')).toEqual([4, 3, 2, 1]);
    expect(find(index, 'from:alice ')).toEqual([1]);
    expect(find(index, 'from:alice@example.test ')).toEqual([1]);
    expect(find(index, 'to:alice ')).toEqual([4, 3]);
    expect(find(index, 'subject:alice ')).toEqual([2]);
    expect(find(index, 'from:bob subject:alice ')).toEqual([2]);
    expect(find(index, '-from:alice alice ')).toEqual([4, 3, 2]);
  });

  it('filters by flags, attachment, dates and folders', () => {
    const index = new SearchIndex();
    index.upsert(msg(1, { seen: 0 }));
    index.upsert(msg(2, { flagged: 1 }));
    index.upsert(msg(3, { hasAttachments: true, seen: 0 }));
    index.upsert(msg(4, { path: 'Sent' }));
    const day = (uid: number) => new Date(T0 + uid * DAY).toISOString().slice(0, 10);
    expect(find(index, 'is:unread')).toEqual([3, 1]);
    expect(find(index, 'is:read')).toEqual([4, 2]);
    expect(find(index, 'is:starred')).toEqual([2]);
    expect(find(index, 'has:attachment')).toEqual([3]);
    expect(find(index, 'is:unread -has:attachment')).toEqual([1]);
    // Local days around the messages' times (the test must hold in any time zone): bounds
    // a day apart from each message leave no doubt.
    expect(find(index, `after:${day(3)}`)).toEqual(expect.arrayContaining([4]));
    expect(find(index, `before:${day(2)}`)).toEqual(expect.arrayContaining([1]));
    expect(find(index, `before:${day(2)}`)).not.toContain(3);
    expect(find(index, `after:${day(3)} before:${day(2)}`)).toEqual([]);
    const sent = index.folderIdsMatching((_a, p) => p === 'Sent');
    expect(find(index, 'message', sent)).toEqual([4]);
    expect(find(index, 'message', null, sent)).toEqual([3, 2, 1]);
  });

  it('matches the word being typed as a prefix', () => {
    const index = new SearchIndex();
    index.upsert(msg(1, { subject: 'Meeting notes' }));
    index.upsert(msg(2, { subject: 'meet the team' }));
    index.upsert(msg(3, { subject: 'memo' }));
    expect(find(index, 'mee')).toEqual([2, 1]);
    expect(find(index, 'mee ')).toEqual([]);
    expect(find(index, 'meeting')).toEqual([1]);
    expect(find(index, 'notes mee')).toEqual([1]);
    // One letter is too short to expand.
    expect(find(index, 'm')).toEqual([]);
  });

  it('updates flags in place, re-indexes changed text, and forgets removed messages', () => {
    const index = new SearchIndex();
    expect(index.upsert(msg(1, { subject: 'alpha', seen: 0 }))).toBe('added');
    index.upsert(msg(2, { subject: 'alpha beta' }));
    expect(find(index, 'alpha is:unread')).toEqual([1]);

    expect(index.upsert(msg(1, { subject: 'alpha', seen: 1 }))).toBe('updated');
    expect(index.upsert(msg(1, { subject: 'alpha', seen: 1 }))).toBe('unchanged');
    expect(find(index, 'alpha is:unread')).toEqual([]);
    expect(index.upsert(msg(2, { subject: 'alpha beta', flagged: 1 }))).toBe('updated');
    expect(find(index, 'is:starred')).toEqual([2]);

    // The text changed (e.g. the body arrived): the old words no longer match.
    const body: IndexableBody = { text: 'the gamma report is attached', html: null, attachments: [{ filename: 'report-q3.pdf' }] };
    expect(index.upsert(msg(2, { subject: 'alpha beta', flagged: 1 }), body)).toBe('reindexed');
    expect(find(index, 'gamma ')).toEqual([2]);
    expect(find(index, 'q3 ')).toEqual([2]);
    expect(find(index, 'is:starred')).toEqual([2]);
    expect(index.upsert(msg(2, { subject: 'delta', flagged: 1 }), body)).toBe('reindexed');
    expect(find(index, 'beta ')).toEqual([]);
    expect(find(index, 'delta ')).toEqual([2]);
    expect(index.size).toBe(2);

    // Expunged.
    expect(index.remove('a1', 'INBOX', 1)).toBe(true);
    expect(index.remove('a1', 'INBOX', 1)).toBe(false);
    expect(find(index, 'alpha ')).toEqual([]);
    expect(index.size).toBe(1);
  });

  it('refreshes flags without the body when the indexed text is current, and asks for it when not', () => {
    const index = new SearchIndex();
    const body: IndexableBody = { text: 'the gamma report is attached', html: null, attachments: [] };
    index.upsert(msg(1, { subject: 'alpha', seen: 0 }), body);
    index.upsert(msg(2, { subject: 'beta' }));
    // Same text, same body presence: flags and date in place; the body's words stay.
    expect(index.refresh(msg(1, { subject: 'alpha', seen: 1 }), true)).toBe('updated');
    expect(index.refresh(msg(1, { subject: 'alpha', seen: 1 }), true)).toBe('unchanged');
    expect(find(index, 'gamma is:unread')).toEqual([]);
    expect(find(index, 'gamma ')).toEqual([1]);
    // The body was dropped or cached, the text changed, or the message is new: upsert it.
    expect(index.refresh(msg(1, { subject: 'alpha', seen: 1 }), false)).toBeNull();
    expect(index.refresh(msg(2, { subject: 'beta' }), true)).toBeNull();
    expect(index.refresh(msg(2, { subject: 'beta, again' }), false)).toBeNull();
    expect(index.refresh(msg(3), false)).toBeNull();
    // A cached body read again under the same key is the same text: not tokenized again.
    expect(index.upsert(msg(1, { subject: 'alpha', seen: 1 }), body)).toBe('unchanged');
  });

  it('still sends phrases past a cut word sequence to the record after flags change in place', () => {
    const index = new SearchIndex();
    // Far more words than the sequence keeps: "omega end" lies past the cut.
    const long = `${Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' ')} omega end`;
    index.upsert(msg(1, { subject: 'long', preview: long }));
    const unsure = () => {
      const m = index.match(parseQuery('"omega end"'), { folders: null, excludeFolders: null });
      return m.docs.map((d) => index.hasPhrase(d, m.phrases[0]!));
    };
    expect(unsure()).toEqual([null]);
    expect(index.upsert(msg(1, { subject: 'long', preview: long, flagged: 1 }))).toBe('updated');
    expect(index.refresh(msg(1, { subject: 'long', preview: long, flagged: 0 }), false)).toBe('updated');
    expect(unsure()).toEqual([null]);
  });

  it('removes key ranges (a folder reset, an account removed)', () => {
    const index = new SearchIndex();
    for (let uid = 1; uid <= 5; uid++) index.upsert(msg(uid, { subject: 'x' }));
    for (let uid = 1; uid <= 3; uid++) index.upsert(msg(uid, { subject: 'x', path: 'Archive' }));
    index.upsert(msg(9, { subject: 'x', accountId: 'a2' }));
    expect(index.removeRange(['a1', 'INBOX', Dexie.minKey], ['a1', 'INBOX', Dexie.maxKey])).toBe(5);
    expect(find(index, 'x ')).toEqual([9, 3, 2, 1]);
    expect(index.removeRange(['a1', Dexie.minKey], ['a1', Dexie.maxKey])).toBe(3);
    expect(find(index, 'x ')).toEqual([9]);
  });

  it('compacts dead documents without changing answers', () => {
    const index = new SearchIndex();
    for (let uid = 1; uid <= 3000; uid++) index.upsert(msg(uid, { subject: uid % 2 ? 'odd one' : 'even one' }));
    for (let uid = 1; uid <= 3000; uid += 2) index.remove('a1', 'INBOX', uid);
    for (let uid = 2; uid <= 3000; uid += 4) index.upsert(msg(uid, { subject: 'even one changed' }));
    expect(index.needsCompaction).toBe(true);
    const before = find(index, 'one ');
    const changed = find(index, 'changed ');
    index.compact();
    expect(index.needsCompaction).toBe(false);
    expect(index.stats().deadDocs).toBe(0);
    expect(find(index, 'one ')).toEqual(before);
    expect(find(index, 'changed ')).toEqual(changed);
    expect(find(index, 'odd ')).toEqual([]);
    index.upsert(msg(5000, { subject: 'odd again' }));
    expect(find(index, 'odd ')).toEqual([5000]);
  });

  it('saves to a snapshot and comes back answering the same, and keeps changing', () => {
    const index = new SearchIndex();
    index.upsert(msg(1, { subject: 'Annual report', seen: 0 }));
    index.upsert(msg(2, { subject: '東京都の会議', path: 'Archive' }), { text: 'ramen place', html: null, attachments: [{ filename: 'menu.pdf' }] });
    index.upsert(msg(3, { subject: 'report annual', flagged: 1, hasAttachments: true }));
    index.upsert(msg(4, { subject: 'gone soon' }));
    index.remove('a1', 'INBOX', 4);
    const queries = ['report ', '"annual report"', 'annual rep', 'is:unread', 'is:starred has:attachment', '東京都 ', 'ramen ', 'menu ', 'gone '];
    const answers = queries.map((q) => find(index, q));
    const phrase = (i: SearchIndex) => {
      const m = i.match(parseQuery('"annual report"'), { folders: null, excludeFolders: null });
      return m.docs.filter((d) => i.hasPhrase(d, m.phrases[0]!)).map((d) => i.keyOf(d)![2]);
    };
    const phrases = phrase(index);

    // Through structured clone, as IndexedDB stores it.
    const restored = SearchIndex.fromSnapshot(structuredClone(index.toSnapshot()))!;
    expect(restored.size).toBe(3);
    expect(queries.map((q) => find(restored, q))).toEqual(answers);
    expect(phrase(restored)).toEqual(phrases);
    const archive = restored.folderIdsMatching((_a, p) => p === 'Archive');
    expect(find(restored, '会議', archive)).toEqual([2]);

    // It goes on like a fresh one: flags, new text, removals, new messages.
    expect(restored.upsert(msg(1, { subject: 'Annual report', seen: 1 }))).toBe('updated');
    expect(restored.upsert(msg(3, { subject: 'report annual', flagged: 1, hasAttachments: true }))).toBe('unchanged');
    restored.upsert(msg(5, { subject: 'fresh report' }));
    restored.remove('a1', 'Archive', 2);
    expect(find(restored, 'report ')).toEqual([5, 3, 1]);
    expect(find(restored, 'is:unread')).toEqual([]);
    expect(find(restored, 'ramen ')).toEqual([]);

    expect(SearchIndex.fromSnapshot({ ...index.toSnapshot(), format: SNAPSHOT_FORMAT + 1 })).toBeNull();
    expect(SearchIndex.fromSnapshot(new SearchIndex().toSnapshot())!.size).toBe(0);
  });

  it('returns the newest k without sorting everything, the same as a full sort', () => {
    const index = new SearchIndex();
    for (let uid = 1; uid <= 500; uid++) index.upsert(msg(uid, { subject: 'same', date: T0 + ((uid * 7919) % 503) * 1000 }));
    const m = index.match(parseQuery('same '), { folders: null, excludeFolders: null });
    const all = index.newestFirst(m.docs, m.docs.length);
    expect(index.newestFirst(m.docs, 50)).toEqual(all.slice(0, 50));
    const dates = all.map((d) => index.dateOf(d));
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
  });
});
