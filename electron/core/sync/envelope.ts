/**
 * imapflow's `parseEnvelope` (imapflow/lib/tools), line for line, with one change: encoded
 * words are decoded through a cache. In a CPU profile of a 30k first sync, decoding the
 * ENVELOPE's names and subjects was ~15% of the host's CPU, for strings that mostly come again:
 * the same senders and recipients on message after message, a thread's subject on each reply.
 * libmime's `decodeWords` is a pure function of its input, so a cached result is the result.
 * A string without an encoded word (or libmime's internal join marker) comes back as it is,
 * which is what decodeWords returns for it after five regular expressions.
 * envelope.test.ts compares this with imapflow's on random envelopes.
 */
import type { ImapAttributeList, MessageAddressObject, MessageEnvelopeObject } from 'imapflow';
import { processName } from 'imapflow/lib/tools';
import libmime from 'libmime';

const JOIN_MARKER = '__\u0000JOIN\u0000__';
/** Distinct strings with encoded words kept (a few hundred KB at most); emptied when full. */
const CACHE_MAX = 4096;
const decodedWords = new Map<string, string>();

/** libmime.decodeWords, cached. */
export function decodeWords(input: unknown): string {
  const value = String(input || '');
  if (!value.includes('=?') && !value.includes(JOIN_MARKER)) return value;
  let out = decodedWords.get(value);
  if (out === undefined) {
    out = libmime.decodeWords(value);
    if (decodedWords.size >= CACHE_MAX) decodedWords.clear();
    decodedWords.set(value, out);
  }
  return out;
}

type Token = { value?: unknown } | null | undefined;

function strValue(token: Token): unknown {
  if (!token) return false;
  if (typeof token.value === 'string') return token.value;
  if (Buffer.isBuffer(token.value)) return token.value.toString();
  return token.value;
}

/** imapflow's decodeText: encoded words, then the quotes some servers leave around a name. */
function decodeText(value: unknown): string {
  return processName(decodeWords(value));
}

function addresses(list: unknown): MessageAddressObject[] {
  return ([] as unknown[])
    .concat(list || [])
    .map((addr): MessageAddressObject | false => {
      // A NIL entry inside an address list is skipped.
      if (!addr) return false;
      const entry = addr as Token[];
      const name = decodeText(strValue(entry[0]));
      const mailbox = (strValue(entry[2]) || '') as string;
      const host = (strValue(entry[3]) || '') as string;
      // A NIL host marks RFC 5322 group syntax (RFC 9051 7.5.2): the group name as a display name.
      if (!host) return { name: name || (mailbox && decodeText(mailbox)), address: '' };
      return { name, address: `${mailbox}@${host}` };
    })
    .filter((addr): addr is MessageAddressObject => !!(addr && (addr.name || addr.address)));
}

export function parseEnvelope(entry: ImapAttributeList): MessageEnvelopeObject {
  const e = entry as unknown as Token[];
  const envelope: Record<string, unknown> = {};
  if (e[0]?.value) {
    const date = new Date(strValue(e[0]) as string);
    envelope['date'] = date.toString() === 'Invalid Date' ? strValue(e[0]) : date;
  }
  if (e[1]?.value) envelope['subject'] = decodeWords(strValue(e[1]));
  const lists = ['from', 'sender', 'replyTo', 'to', 'cc', 'bcc'] as const;
  lists.forEach((field, k) => {
    const list = e[2 + k] as unknown;
    if (Array.isArray(list) && list.length) envelope[field] = addresses(list);
  });
  if (e[8]?.value) envelope['inReplyTo'] = String(strValue(e[8]) || '').trim();
  if (e[9]?.value) envelope['messageId'] = String(strValue(e[9]) || '').trim();
  return envelope as MessageEnvelopeObject;
}
