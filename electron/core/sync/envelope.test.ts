import type { ImapAttributeList } from 'imapflow';
import { parseEnvelope as imapflowParseEnvelope } from 'imapflow/lib/tools';
import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { rng } from '../../../bench/corpus';
import { decodeWords, parseEnvelope } from './envelope';

const PLAIN = ['Ann', 'Bo Lee', '"Quoted Name"', '""', '"', 'a "b" c', '', ' spaced ', 'x=y', '=?', '?=', '= ?', '__\u0000JOIN\u0000__', 'Grüße', '日本'];
const WORDS = [
  '=?utf-8?Q?Gr=C3=BC=C3=9Fe?=',
  '=?UTF-8?B?5pel5pys6Kqe?=',
  '=?iso-8859-1?q?caf=E9?=',
  '=?windows-1251?B?z/Do4uXy?=',
  '=?koi8-r?Q?=F0=D2=C9=D7=C5=D4?=',
  '=?iso-2022-jp?B?GyRCJEskWyRzGyhC?=',
  '=?shift_jis?B?g2WDWINn?=',
  '=?utf-7?Q?+ADw-b+AD4-?=',
  '=?unknown-x?Q?abc?=',
  '=?utf-8?Q?a_b?=',
  '=?utf-8?B?broken?=',
  '=?utf-8*en?Q?lang?=',
];

function text(r: () => number): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const pool = r() < 0.5 ? WORDS : PLAIN;
    parts.push(pool[Math.floor(r() * pool.length)]!);
  }
  const seps = [' ', '', '  ', '\t', ' - '];
  return parts.map((p, k) => (k ? seps[Math.floor(r() * seps.length)]! : '') + p).join('');
}

function token(r: () => number, value: string): { type: string; value: string | Buffer } | null {
  const u = r();
  if (u < 0.05) return null;
  return u < 0.2 ? { type: 'LITERAL', value: Buffer.from(value) } : { type: 'STRING', value };
}

function address(r: () => number): unknown {
  const u = r();
  if (u < 0.05) return null;
  const mailbox = r() < 0.1 ? null : token(r, r() < 0.1 ? text(r) : `user${Math.floor(r() * 5)}`);
  // A NIL host: RFC 5322 group syntax (or its end marker).
  const host = r() < 0.15 ? null : token(r, 'example.test');
  return [r() < 0.2 ? null : token(r, text(r)), null, mailbox, host];
}

function envelope(r: () => number): ImapAttributeList {
  const dates = ['Mon, 2 Nov 2026 10:00:00 +0000', 'not a date', '', '2026-11-02T10:00:00Z'];
  const list = () => (r() < 0.15 ? null : r() < 0.1 ? [] : Array.from({ length: 1 + Math.floor(r() * 3) }, () => address(r)));
  return [
    token(r, dates[Math.floor(r() * dates.length)]!),
    token(r, text(r)),
    list(),
    list(),
    list(),
    list(),
    list(),
    list(),
    token(r, r() < 0.5 ? ' <parent@x> ' : ''),
    token(r, r() < 0.5 ? '<id@x>' : '  <id2@y>\t'),
  ] as unknown as ImapAttributeList;
}

describe('parseEnvelope with cached encoded words', () => {
  it('reads 5,000 random envelopes as imapflow does, each twice (from the cache the second time)', () => {
    const r = rng(20261127);
    for (let i = 0; i < 5000; i++) {
      const e = envelope(r);
      const expected = imapflowParseEnvelope(e);
      expect(parseEnvelope(e), `envelope ${i}: ${JSON.stringify(e)}`).toEqual(expected);
      expect(parseEnvelope(e)).toEqual(expected);
    }
  });

  it('decodes as libmime does, for any input, across the cache being emptied', () => {
    const r = rng(7);
    const inputs = Array.from({ length: 6000 }, (_, k) => `${text(r)} ${k % 1500}=?utf-8?Q?n${k % 5000}?=`);
    for (const input of [...inputs, ...inputs.reverse(), '', undefined, false, 0, null]) {
      expect(decodeWords(input)).toBe(libmime.decodeWords(input as string));
    }
  });
});
