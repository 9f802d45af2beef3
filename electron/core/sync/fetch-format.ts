/**
 * One header FETCH response (the items fetchHeaders asks for), or one of the body fetch's
 * whole messages (`BODY[]`, body-fetcher.ts) → imapflow's FetchMessageObject.
 *
 * imapflow's own `formatMessageResponse` reads any FETCH response, at a price paid per message:
 * it recognises each item by compiling the item's name back to IMAP text, builds five closures
 * per item, and hashes path:UIDVALIDITY:UID into an `id` (MD5) that the engine never reads. In
 * a CPU profile of the 100k first sync those were ~15% of the host's CPU time. Here an item is
 * recognised by its atom, and every value still goes through imapflow's own readers
 * (parseBodystructure, getStringList and its number checks; parseEnvelope as a copy that caches
 * decoded words, envelope.ts), so the result is the same; fetch-format.test.ts compares the two
 * readings.
 *
 * A response with anything else in it (an item not asked for, a partial section) returns null:
 * the caller then reads it with formatMessageResponse, as before.
 */
import type { FetchMessageObject, ImapAttributeList, ImapResponse, MailboxObject } from 'imapflow';
import { getStringList, getStringValue, parseBigIntValue, parseBodystructure, parseUintValue } from 'imapflow/lib/tools';
import { parseEnvelope } from './envelope';

/** imapflow's bound for UIDs and counts (MAX_UINT32_DIGITS). */
const UINT32_DIGITS = 10;

interface Item {
  type?: unknown;
  value?: unknown;
  section?: unknown;
  partial?: unknown;
}

/** The bytes of a section (a literal, or a quoted string the tokenizer decoded as UTF-8). */
function bufferOf(attribute: Item | null): Buffer | undefined {
  const v = attribute?.value;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v);
  return undefined;
}

/** Whether the key is BODY[HEADER.FIELDS (...)] or BODY[HEADER], not partial. */
function isHeaderSection(key: Item): boolean {
  if (key.partial !== undefined || !Array.isArray(key.section) || key.section.length === 0) return false;
  const first = key.section[0] as Item | null;
  const name = typeof first?.value === 'string' ? first.value.toUpperCase() : '';
  return name === 'HEADER.FIELDS' || name === 'HEADER';
}

/** Whether the key is BODY[], not partial. */
function isWholeSection(key: Item): boolean {
  return key.partial === undefined && Array.isArray(key.section) && key.section.length === 0;
}

export function formatHeaderResponse(untagged: ImapResponse, mailbox: MailboxObject): FetchMessageObject | null {
  const items = untagged.attributes?.[1] as ImapAttributeList | undefined;
  if (!Array.isArray(items)) return null;
  const map = { seq: parseUintValue(untagged.command, UINT32_DIGITS) || undefined } as FetchMessageObject;
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = items[i] as Item | null;
    const value = items[i + 1] as unknown;
    const name = key && typeof key.value === 'string' ? key.value.toUpperCase() : '';
    if (key?.section !== undefined || key?.partial !== undefined) {
      if ((name === 'BODY' || name === 'BODY.PEEK') && key && isHeaderSection(key)) {
        const headers = bufferOf(value as Item | null);
        if (headers) map.headers = headers;
        continue;
      }
      // The whole message (BODY[], what the body fetch asks for); NIL leaves it unset.
      if ((name === 'BODY' || name === 'BODY.PEEK') && key && isWholeSection(key)) {
        const source = bufferOf(value as Item | null);
        if (source) map.source = source;
        continue;
      }
      return null;
    }
    switch (name) {
      case 'UID': {
        const uid = parseUintValue(getStringValue(value), UINT32_DIGITS);
        if (!uid) break;
        map.uid = uid;
        // As imapflow does: a UID at or past UIDNEXT moves the local estimate.
        if (!mailbox.uidNext || mailbox.uidNext <= uid) mailbox.uidNext = uid + 1;
        break;
      }
      case 'MODSEQ': {
        const modseq = parseBigIntValue(getStringList(value)[0]);
        if (modseq === false) break;
        map.modseq = modseq;
        if (modseq && (!mailbox.highestModseq || mailbox.highestModseq < modseq)) mailbox.highestModseq = modseq;
        break;
      }
      case 'FLAGS':
        map.flags = new Set(getStringList(value));
        break;
      case 'RFC822.SIZE':
        map.size = parseUintValue(getStringValue(value)) || 0;
        break;
      case 'INTERNALDATE': {
        const text = getStringValue(value);
        const date = new Date(text as string);
        map.internalDate = Number.isNaN(date.getTime()) ? (text as unknown as Date) : date;
        break;
      }
      case 'ENVELOPE':
        // NIL leaves the field unset (imapflow does the same).
        if (Array.isArray(value)) map.envelope = parseEnvelope(value as ImapAttributeList);
        break;
      case 'BODYSTRUCTURE':
        if (Array.isArray(value)) map.bodyStructure = parseBodystructure(value as ImapAttributeList);
        break;
      case 'PREVIEW':
        // Read from the raw response by the caller (previewAttribute): imapflow has no field for it.
        break;
      default:
        return null;
    }
  }
  return map;
}
