import { MessageIdSchema, trimReferences, type Account, type Address } from '../../../../shared/contract';
import { formatAddress } from '../../outbox';

/**
 * Reply, reply all and forward, as pure decisions over a message's header: who it goes to,
 * from which identity, its subject, In-Reply-To/References, and the quoted original. The
 * HTML handed in here is already sanitized (respond-loader.ts); everything this adds is
 * escaped.
 */

export type RespondKind = 'reply' | 'replyAll' | 'forward' | 'forwardAsAttachment';

/** What a response needs of the original message (a MessageRecord fits). */
export interface Original {
  accountId: string;
  messageId: string | null;
  references: readonly string[];
  subject: string;
  from: readonly Address[];
  to: readonly Address[];
  cc: readonly Address[];
  replyTo: readonly Address[];
  date: number;
}

const lower = (s: string) => s.trim().toLowerCase();

/**
 * The identity to answer from: of the account the message is in, the one it was addressed
 * to (To, then Cc), else the account's first (default) identity.
 */
export function pickIdentity(account: Account, original: Pick<Original, 'to' | 'cc'>): string {
  const recipients = [...original.to, ...original.cc].map((a) => lower(a.address));
  for (const r of recipients) {
    const hit = account.identities.find((i) => lower(i.email) === r);
    if (hit) return hit.id;
  }
  return account.identities[0]!.id;
}

/** The addresses that are "me" in this account. */
export function ownAddresses(account: Account): Set<string> {
  return new Set([account.email, ...account.identities.map((i) => i.email)].map(lower));
}

/** Unique by address, case-insensitively, first one wins; without `exclude` and empty addresses. */
function unique(list: readonly Address[], exclude: ReadonlySet<string>): Address[] {
  const seen = new Set(exclude);
  const out: Address[] = [];
  for (const a of list) {
    const key = lower(a.address);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    out.push({ name: a.name.trim(), address: a.address.trim() });
  }
  return out;
}

/**
 * Recipients of a reply. Reply goes to Reply-To, else From; reply all adds the original's
 * other To (to To) and Cc (to Cc) recipients, without my own addresses, each once. A message I
 * sent (in Sent, or from one of my addresses) is answered to its original recipients.
 */
export function replyRecipients(
  original: Pick<Original, 'from' | 'to' | 'cc' | 'replyTo'>,
  options: { all: boolean; own: ReadonlySet<string>; inSent: boolean },
): { to: Address[]; cc: Address[] } {
  const mine = options.inSent || original.from.some((a) => options.own.has(lower(a.address)));
  const none = new Set<string>();
  if (mine) {
    const to = unique(original.to, none);
    if (!options.all) return { to, cc: [] };
    return { to, cc: unique(original.cc, new Set(to.map((a) => lower(a.address)))) };
  }
  const target = unique(original.replyTo.length > 0 ? original.replyTo : original.from, none);
  if (!options.all) return { to: target, cc: [] };
  const to = unique([...target, ...original.to], options.own);
  // The sender stays even when it is one of my addresses (they wrote to me from another).
  for (const t of target) if (!to.some((a) => lower(a.address) === lower(t.address))) to.unshift(t);
  const cc = unique(original.cc, new Set([...options.own, ...to.map((a) => lower(a.address))]));
  return { to, cc };
}

// Re, RE, Aw (German), Sv (Nordic), Antw (Dutch), optionally numbered ("Re[2]:"), with any spacing.
const REPLY_PREFIX = /^\s*(?:re|aw|sv|antw)\s*(?:\[\d+\])?\s*:\s*/i;
const FORWARD_PREFIX = /^\s*(?:fwd|fw|wg|tr)\s*(?:\[\d+\])?\s*:\s*/i;

function strip(subject: string, prefix: RegExp): string {
  let s = subject;
  for (let m = prefix.exec(s); m; m = prefix.exec(s)) s = s.slice(m[0].length);
  return s.trim();
}

/** "Re: " once: "Re: Re: x", "AW: x" and "x" all give "Re: x"; "Fwd: x" gives "Re: Fwd: x". */
export function replySubject(subject: string): string {
  return `Re: ${strip(subject, REPLY_PREFIX)}`;
}

/** "Fwd: " once: "Fw: x" and "Fwd: Fwd: x" give "Fwd: x"; "Re: x" gives "Fwd: Re: x". */
export function forwardSubject(subject: string): string {
  return `Fwd: ${strip(subject, FORWARD_PREFIX)}`;
}

/**
 * In-Reply-To and References of a reply (RFC 5322 3.6.4): References is the original's
 * References (or, without them, its In-Reply-To) plus its Message-ID. Shortened, it keeps the
 * first (the thread's root) and the most recent ones. Ids that are not `<id@domain>` are
 * dropped: the composer would refuse them.
 */
export function threadHeaders(original: Pick<Original, 'messageId' | 'references'> & { inReplyTo?: string | null }): {
  inReplyTo?: string;
  references: string[];
} {
  const valid = (id: string | null | undefined): id is string => !!id && MessageIdSchema.safeParse(id).success;
  const base = original.references.length > 0 ? [...original.references] : original.inReplyTo ? [original.inReplyTo] : [];
  const own = valid(original.messageId) ? original.messageId : undefined;
  const all: string[] = [];
  for (const id of [...base, ...(own ? [own] : [])]) if (valid(id) && !all.includes(id)) all.push(id);
  // Long threads would otherwise grow the header without end.
  const references = trimReferences(all);
  return { ...(own ? { inReplyTo: own } : {}), references };
}

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Plain text as editor HTML: lines kept, escaped. */
export function textAsHtml(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => `<div>${line ? escapeHtml(line) : '<br>'}</div>`)
    .join('');
}

/** The date as the person's locale writes it. */
export function localDate(ms: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}

const who = (a: Address | undefined) => (a ? a.name.trim() || a.address : 'someone');

/** "On 3 Mar 2026, 14:05, Alice Example wrote:" */
export function attribution(original: Pick<Original, 'from' | 'date'>, locale?: string): string {
  return `On ${localDate(original.date, locale)}, ${who(original.from[0])} wrote:`;
}

/** Marks the editor uses to find its own blocks again (the signature is switched by From). */
export const SIGNATURE_ATTR = 'data-petrel-signature';
export const QUOTE_ATTR = 'data-petrel-quote';

/** The signature block: "-- " on its own line (RFC 3676 4.3), then the signature; '' for none. */
export function signatureHtml(signature: string): string {
  const sig = signature.replace(/\r\n/g, '\n').replace(/\s+$/, '');
  if (!sig.trim()) return '';
  return `<div ${SIGNATURE_ATTR}="">-- <br>${sig.split('\n').map(escapeHtml).join('<br>')}</div>`;
}

export function signatureText(signature: string): string {
  const sig = signature.replace(/\r\n/g, '\n').replace(/\s+$/, '');
  return sig.trim() ? `-- \n${sig}` : '';
}

/** The original's body, as safe HTML (`html`) or plain text. */
export interface QuotedBody {
  html: string | null;
  text: string;
}

const bodyHtml = (body: QuotedBody) => body.html ?? textAsHtml(body.text);
const addressList = (list: readonly Address[]) => list.map((a) => formatAddress({ name: a.name.trim(), address: a.address })).join(', ');

/** A reply's body: an empty line to write on, the signature, then the attribution and the quote. */
export function replyBody(original: Original, body: QuotedBody, signature: string, locale?: string): { html: string; text: string } {
  const line = attribution(original, locale);
  const html =
    // Two empty lines: the caret's, and one that keeps what is written apart from the rest.
    `<div><br></div><div><br></div>${signatureHtml(signature)}` +
    `<div ${QUOTE_ATTR}="">${escapeHtml(line)}</div><blockquote>${bodyHtml(body)}</blockquote>`;
  const quoted = body.text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((l) => (l ? `> ${l}` : '>'))
    .join('\n');
  const sig = signatureText(signature);
  const text = `\n\n${sig ? `${sig}\n` : ''}${line}\n${quoted}`;
  return { html, text };
}

/** The "Forwarded message" block: From, Date, Subject, To, Cc of the original. */
export function forwardHeaderLines(original: Original, locale?: string): string[] {
  return [
    '---------- Forwarded message ----------',
    `From: ${addressList(original.from)}`,
    `Date: ${localDate(original.date, locale)}`,
    `Subject: ${original.subject}`,
    `To: ${addressList(original.to)}`,
    ...(original.cc.length > 0 ? [`Cc: ${addressList(original.cc)}`] : []),
  ];
}

/** An inline forward's body: room to write, the signature, the header block, the original. */
export function forwardBody(original: Original, body: QuotedBody, signature: string, locale?: string): { html: string; text: string } {
  const lines = forwardHeaderLines(original, locale);
  const html =
    `<div><br></div><div><br></div>${signatureHtml(signature)}` +
    `<div ${QUOTE_ATTR}="">${lines.map(escapeHtml).join('<br>')}</div><div><br></div><div>${bodyHtml(body)}</div>`;
  const sig = signatureText(signature);
  return { html, text: `\n\n${sig ? `${sig}\n` : ''}${lines.join('\n')}\n\n${body.text}` };
}

/** A new message's body: the signature only. */
export function newMessageBody(signature: string): { html: string | null; text: string } {
  const sig = signatureHtml(signature);
  return sig ? { html: `<div><br></div>${sig}`, text: `\n${signatureText(signature)}` } : { html: null, text: '' };
}

/** Recipients as the composer's field text. */
export function addressField(list: readonly Address[]): string {
  return list.map((a) => formatAddress({ name: a.name, address: a.address })).join(', ');
}

/** A file name for a message attached as .eml. */
export function emlFilename(subject: string): string {
  // eslint-disable-next-line no-control-regex -- control characters have no place in a file name
  const base = subject.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
  return `${base || 'message'}.eml`;
}
