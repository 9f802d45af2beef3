/**
 * One imapflow FETCH result → the contract's MessageHeader: addresses, decoded subject,
 * a sane date, threading headers, whether it has attachments (from BODYSTRUCTURE, so
 * no body is downloaded), and every value clipped to what the contract accepts.
 */
import type { FetchMessageObject, MessageAddressObject, MessageStructureObject } from 'imapflow';
import { trimReferences, type Address, type MessageHeader } from '../../../shared/contract';
import { collapsePreview } from './preview';

export interface FolderContext {
  accountId: string;
  path: string;
  uidValidity: string;
}

const clip = (s: string, max: number) => (s.length <= max ? s : s.slice(0, max));

export function mapAddresses(list: readonly MessageAddressObject[] | undefined, max: number): Address[] {
  const out: Address[] = [];
  for (const a of list ?? []) {
    const name = (a.name ?? '').trim();
    const address = (a.address ?? '').trim();
    if (!name && !address) continue;
    out.push({ name: clip(name, 1000), address: clip(address, 1000) });
    if (out.length >= max) break;
  }
  return out;
}

/** Message-IDs in a References (or In-Reply-To) header value, in order, unique. */
export function parseMessageIds(value: string): string[] {
  const ids = value.match(/<[^<>\s]+>/g) ?? [];
  return [...new Set(ids)];
}

/**
 * The values of the requested header fields (RFC 5322 unfolding), lower-cased names.
 * imapflow hands back the raw `BODY[HEADER.FIELDS (...)]` bytes.
 */
export function parseHeaderFields(raw: Buffer | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!raw) return out;
  const text = raw.toString('utf8').replace(/\r?\n[ \t]+/g, ' ');
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    out.set(name, out.has(name) ? `${out.get(name)} ${value}` : value);
  }
  return out;
}

const SIGNATURE_TYPES = new Set(['application/pgp-signature', 'application/pkcs7-signature', 'application/x-pkcs7-signature']);

/**
 * Whether the structure holds a file someone attached: a part marked `attachment`, or a
 * non-text leaf (a PDF, an image outside multipart/related, a forwarded message).
 * Inline images of an HTML mail (multipart/related with a Content-ID) and signatures are not.
 */
export function hasAttachments(root: MessageStructureObject | undefined): boolean {
  if (!root) return false;
  const visit = (node: MessageStructureObject, parentType: string, depth: number): boolean => {
    if (depth > 20) return false;
    const type = (node.type ?? '').toLowerCase();
    if (node.childNodes && node.childNodes.length > 0) return node.childNodes.some((c) => visit(c, type, depth + 1));
    if (type.startsWith('multipart/')) return false;
    const disposition = (node.disposition ?? '').toLowerCase();
    if (disposition === 'attachment') return !SIGNATURE_TYPES.has(type);
    if (SIGNATURE_TYPES.has(type)) return false;
    if (type === 'text/plain' || type === 'text/html') return !!(node.dispositionParameters?.filename ?? node.parameters?.name);
    if (parentType === 'multipart/related' && node.id) return false;
    // The root of a single-part message is its body, whatever its type, unless it is attached.
    if (depth === 0) return type !== '' && !type.startsWith('text/');
    return true;
  };
  return visit(root, '', 0);
}

const YEAR_MS = 365 * 24 * 3600_000;

function toMs(value: Date | string | undefined): number | null {
  if (value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * The Date header, unless it is missing or absurd (before 1980, or more than a day after
 * the server received the message): then the internal date, which the server set.
 */
export function pickDate(headerDate: Date | string | undefined, internalDate: number): number {
  const d = toMs(headerDate);
  if (d === null || d < Date.UTC(1980, 0, 1)) return internalDate;
  if (internalDate > 0 && d > internalDate + 24 * 3600_000) return internalDate;
  if (internalDate <= 0 && d > Date.now() + YEAR_MS) return internalDate;
  return d;
}

/** Flags to store: \Recent is per session (RFC 3501 2.3.2), so it never reaches the renderer. */
export function storedFlags(flags: Set<string> | undefined): string[] {
  const out: string[] = [];
  for (const f of flags ?? []) {
    if (f.toLowerCase() === '\\recent' || f.length > 200) continue;
    out.push(f);
    if (out.length >= 100) break;
  }
  return out.sort();
}

export function toMessageHeader(msg: FetchMessageObject, ctx: FolderContext, preview: string | null): MessageHeader {
  const env = msg.envelope ?? {};
  const fields = parseHeaderFields(msg.headers);
  const internalDate = toMs(msg.internalDate) ?? 0;
  const inReplyTo = env.inReplyTo ?? parseMessageIds(fields.get('in-reply-to') ?? '')[0] ?? null;
  // No References but an In-Reply-To: the parent stands in, as RFC 5322 3.6.4 builds a reply's
  // References from it; the renderer's conversations then find this reply from its parent too.
  // A deep thread's list is shortened to its root and nearest ancestors (trimReferences).
  const listed = parseMessageIds(fields.get('references') ?? '');
  const references = trimReferences(listed.length > 0 ? listed : inReplyTo ? [inReplyTo] : []).map((id) => clip(id, 1000));
  return {
    accountId: ctx.accountId,
    path: ctx.path,
    uid: msg.uid,
    uidValidity: ctx.uidValidity,
    modseq: msg.modseq !== undefined ? msg.modseq.toString() : null,
    messageId: env.messageId ? clip(env.messageId, 1000) : null,
    inReplyTo: inReplyTo ? clip(inReplyTo, 1000) : null,
    references,
    subject: clip(env.subject ?? '', 10_000),
    from: mapAddresses(env.from, 100),
    to: mapAddresses(env.to, 2000),
    cc: mapAddresses(env.cc, 2000),
    replyTo: mapAddresses(env.replyTo, 100),
    date: pickDate(env.date, internalDate),
    internalDate,
    size: msg.size ?? 0,
    flags: storedFlags(msg.flags),
    hasAttachments: hasAttachments(msg.bodyStructure),
    preview: collapsePreview(preview ?? ''),
  };
}
