/**
 * A deterministic, realistic mail corpus: message i depends only on (seed, i), so any
 * message can be regenerated alone and every run sees the same bytes.
 *
 * Mix (by message): 60% text/plain, 27.6% multipart/alternative, 12% with a 8-60 KB
 * attachment, 0.4% with a 0.2-3 MB one; ~30% replies (In-Reply-To, References);
 * charsets UTF-8 (70%, some of it Russian, Japanese or German), ISO-8859-1, KOI8-R and
 * ISO-2022-JP, with RFC 2047 headers and RFC 2231 file names. About 12.5 KB per
 * message on average (100k = ~1.25 GB; real mailboxes run ~30 KB, the attachment
 * sizes are capped to keep generation bounded).
 *
 * Delivery writes maildir files straight into the user's Maildir (as Dovecot's user)
 * and lets `doveadm force-resync` index them: ~100k messages a minute, where
 * `doveadm save` (one process per message) manages a few hundred a second.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MailServers } from '../e2e/mailserver/mailserver';
import { encode, encodeHeaderText, quotedPrintable, representable, type Charset } from './charsets';
import { ATTACHMENTS, PEOPLE, UTF8_EXTRAS, WORDS, type Lang, type Person } from './words';

// ---------------------------------------------------------------------------------------
// Randomness

export type Rng = () => number;

/** mulberry32: small, fast, good enough for a corpus. */
export function rng(seed: number): Rng {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hash(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

const pick = <T>(r: Rng, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const logUniform = (r: Rng, lo: number, hi: number) => Math.round(Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo))));

// ---------------------------------------------------------------------------------------
// The corpus

export interface CorpusSpec {
  seed: number;
  count: number;
  /** The recipient (the mailbox owner). */
  to: { name: string; address: string };
  /** Date of the oldest message; the others follow evenly (with jitter) over `spanDays`. */
  start?: Date;
  spanDays?: number;
}

export interface Message {
  index: number;
  raw: Buffer;
  date: Date;
  /** Maildir info flags, in ASCII order (F flagged, R answered, S seen). */
  flags: string;
  subject: string;
  messageId: string;
}

const DEFAULT_START = Date.UTC(2021, 0, 4, 8, 0, 0);
const DEFAULT_SPAN_DAYS = 4 * 365;
const REPLY_RATE = 0.3;

function dateOf(spec: CorpusSpec, i: number): Date {
  const start = spec.start?.getTime() ?? DEFAULT_START;
  const gap = ((spec.spanDays ?? DEFAULT_SPAN_DAYS) * 86_400_000) / Math.max(1, spec.count);
  // Jitter within the slot keeps dates (and so maildir names and UIDs) in order.
  const jitter = rng(hash(spec.seed, i, 1))() * gap * 0.8;
  return new Date(Math.floor((start + i * gap + jitter) / 1000) * 1000);
}

/** The message i replies to, or null. */
function parentOf(spec: CorpusSpec, i: number): number | null {
  if (i === 0) return null;
  const r = rng(hash(spec.seed, i, 2));
  if (r() >= REPLY_RATE) return null;
  return i - 1 - Math.floor(r() * Math.min(i, 300));
}

function messageIdOf(spec: CorpusSpec, i: number): string {
  const sender = senderOf(spec, i);
  return `<${hash(spec.seed, i, 3).toString(36)}.${i}@${sender.address.split('@')[1]}>`;
}

function senderOf(spec: CorpusSpec, i: number): Person {
  return pick(rng(hash(spec.seed, i, 4)), PEOPLE);
}

function langAndCharset(spec: CorpusSpec, i: number): { lang: Lang; charset: Charset } {
  const person = senderOf(spec, i);
  const r = rng(hash(spec.seed, i, 5))();
  switch (person.lang) {
    case 'ru':
      return { lang: 'ru', charset: r < 0.6 ? 'koi8-r' : 'utf-8' };
    case 'ja':
      return { lang: 'ja', charset: r < 0.6 ? 'iso-2022-jp' : 'utf-8' };
    case 'de':
    case 'fr':
      return { lang: person.lang, charset: r < 0.6 ? 'iso-8859-1' : 'utf-8' };
    default:
      return { lang: 'en', charset: 'utf-8' };
  }
}

function sentence(r: Rng, lang: Lang, min: number, max: number): string {
  const n = min + Math.floor(r() * (max - min + 1));
  const words: string[] = [];
  for (let k = 0; k < n; k++) words.push(pick(r, r() < 0.25 && lang !== 'en' && lang !== 'ja' ? WORDS.en : WORDS[lang]));
  if (lang === 'ja') return `${words.join('')}。`;
  const s = words.join(' ');
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
}

function rootSubject(spec: CorpusSpec, i: number): string {
  const r = rng(hash(spec.seed, i, 6));
  const { lang, charset } = langAndCharset(spec, i);
  let s = sentence(r, lang, 3, 8).replace(/[.。]$/, '');
  if (charset === 'utf-8' && r() < 0.2) s += ` ${pick(r, UTF8_EXTRAS)}`;
  return s;
}

function threadRoot(spec: CorpusSpec, i: number): { root: number; chain: number[] } {
  const chain: number[] = [];
  let at = i;
  for (let p = parentOf(spec, at); p !== null && chain.length < 20; p = parentOf(spec, at)) {
    chain.unshift(p);
    at = p;
  }
  return { root: at, chain };
}

/** Wraps text at 72 columns (words longer than that stay whole); Japanese, which has no spaces, at 36 characters. */
function wrap(text: string, width = 72): string {
  const out: string[] = [];
  if (!text.includes(' ')) {
    const chars = Array.from(text);
    for (let k = 0; k < chars.length; k += width / 2) out.push(chars.slice(k, k + width / 2).join(''));
    return out.join('\n');
  }
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.join('\n');
}

function paragraphs(r: Rng, lang: Lang, targetChars: number): string[] {
  const out: string[] = [];
  let total = 0;
  while (total < targetChars) {
    const p: string[] = [];
    const sentences = 2 + Math.floor(r() * 4);
    for (let k = 0; k < sentences; k++) p.push(sentence(r, lang, 5, 16));
    const text = lang === 'ja' ? p.join('') : p.join(' ');
    out.push(text);
    total += text.length + 2;
  }
  return out;
}

const GREETING: Record<Lang, (name: string) => string> = {
  en: (n) => `Hi ${n},`,
  de: (n) => `Hallo ${n},`,
  fr: (n) => `Bonjour ${n},`,
  ru: (n) => `Здравствуйте, ${n}!`,
  ja: (n) => `${n}様`,
};

/** Lines of a quoted earlier message (what a reply carries). */
function quoted(spec: CorpusSpec, parent: number, r: Rng): string {
  const { lang } = langAndCharset(spec, parent);
  const text = paragraphs(r, lang, 200 + Math.floor(r() * 600)).map((p) => wrap(p, 70)).join('\n\n');
  const who = senderOf(spec, parent).name;
  return `On ${dateOf(spec, parent).toUTCString()}, ${who} wrote:\n${text.split('\n').map((l) => (l ? `> ${l}` : '>')).join('\n')}`;
}

function htmlOf(paras: string[], greeting: string, signature: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = paras.map((p, k) => (k === 1 ? `<p><b>${esc(p)}</b></p>` : `<p>${esc(p)}</p>`)).join('\n');
  return (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><style>body{font-family:Arial,sans-serif;font-size:14px}' +
    '.sig{color:#666}</style></head><body>\n' +
    `<p>${esc(greeting)}</p>\n${body}\n<p>See <a href="https://intranet.example/docs/1234">the document</a>.</p>\n` +
    `<table border="0"><tr><td>Status</td><td>Open</td></tr></table>\n<p class="sig">${esc(signature).replace(/\n/g, '<br>')}</p>\n</body></html>`
  );
}

// A block of seeded random bytes, as base64 lines of 76 characters (57 bytes each): attachments are runs of these lines.
let attachmentLines: { seed: number; lines: string[] } | null = null;
function randomLines(seed: number): string[] {
  if (attachmentLines?.seed === seed) return attachmentLines.lines;
  const bytes = Buffer.alloc(57 * 60_000);
  const r = rng(hash(seed, 99));
  for (let k = 0; k + 4 <= bytes.length; k += 4) bytes.writeUInt32LE(Math.floor(r() * 4294967296), k);
  const b64 = bytes.toString('base64');
  const lines: string[] = [];
  for (let k = 0; k < b64.length; k += 76) lines.push(b64.slice(k, k + 76));
  attachmentLines = { seed, lines };
  return lines;
}

function attachmentBody(seed: number, r: Rng, bytes: number): string {
  const lines = randomLines(seed);
  const n = Math.max(1, Math.ceil(bytes / 57));
  const at = Math.floor(r() * lines.length);
  const out: string[] = new Array<string>(n);
  for (let k = 0; k < n; k++) out[k] = lines[(at + k) % lines.length]!;
  return out.join('\n');
}

function rfc2822Date(d: Date, offsetMinutes: number): string {
  const local = new Date(d.getTime() + offsetMinutes * 60_000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const off = Math.abs(offsetMinutes);
  return (
    `${days[local.getUTCDay()]}, ${local.getUTCDate()} ${months[local.getUTCMonth()]} ${local.getUTCFullYear()} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${sign}${pad(Math.floor(off / 60))}${pad(off % 60)}`
  );
}

const OFFSET: Record<Lang, number> = { en: -300, de: 60, fr: 60, ru: 180, ja: 540 };

function mailbox(p: { name: string; address: string }, charset: Charset): string {
  if (/^[\x20-\x7e]*$/.test(p.name)) return `"${p.name.replace(/"/g, '')}" <${p.address}>`;
  return `${encodeHeaderText(p.name, charset)} <${p.address}>`;
}

function textPart(text: string, charset: Charset, subtype: 'plain' | 'html'): string {
  const bytes = encode(text, charset);
  if (charset === 'iso-2022-jp') return `Content-Type: text/${subtype}; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n${bytes.toString('latin1')}`;
  if (charset === 'koi8-r') return `Content-Type: text/${subtype}; charset=KOI8-R\nContent-Transfer-Encoding: base64\n\n${base64Lines(bytes)}`;
  return `Content-Type: text/${subtype}; charset=${charset}\nContent-Transfer-Encoding: quoted-printable\n\n${quotedPrintable(bytes)}`;
}

function base64Lines(bytes: Buffer): string {
  const b64 = bytes.toString('base64');
  const out: string[] = [];
  for (let k = 0; k < b64.length; k += 76) out.push(b64.slice(k, k + 76));
  return out.join('\n');
}

function attachmentPart(seed: number, r: Rng, bytes: number): string {
  const a = pick(r, ATTACHMENTS);
  const ascii = /^[\x20-\x7e]*$/.test(a.name);
  const disposition = ascii
    ? `attachment; filename="${a.name}"`
    : `attachment;\n filename*=utf-8''${encodeURIComponent(a.name)}`;
  const typeName = ascii ? `; name="${a.name}"` : '';
  return `Content-Type: ${a.type}${typeName}\nContent-Disposition: ${disposition}\nContent-Transfer-Encoding: base64\n\n${attachmentBody(seed, r, bytes)}`;
}

function multipart(subtype: string, boundary: string, parts: string[]): string {
  return `Content-Type: multipart/${subtype};\n boundary="${boundary}"\n\n${parts.map((p) => `--${boundary}\n${p}\n`).join('')}--${boundary}--\n`;
}

/** Message i of the corpus. */
export function generateMessage(spec: CorpusSpec, i: number): Message {
  const r = rng(hash(spec.seed, i, 7));
  const date = dateOf(spec, i);
  const sender = senderOf(spec, i);
  const { lang, charset } = langAndCharset(spec, i);
  const parent = parentOf(spec, i);
  const { root, chain } = threadRoot(spec, i);
  const subject = parent === null ? rootSubject(spec, i) : `Re: ${rootSubject(spec, root)}`;
  const messageId = messageIdOf(spec, i);
  const toName = spec.to.name.split(' ')[0] ?? spec.to.name;

  const paras = paragraphs(r, lang, logUniform(r, 150, 5000));
  const signature = `-- \n${sender.name}\n${pick(r, ['Operations', 'Finance', 'Engineering', 'Sales', 'Support'])}`;
  let text = `${GREETING[lang](toName)}\n\n${paras.map((p) => wrap(p)).join('\n\n')}\n\n${signature}\n`;
  if (parent !== null) text += `\n${quoted(spec, parent, r)}\n`;

  const kind = r();
  let body: string;
  const boundary = (k: number) => `----=_Part_${hash(spec.seed, i, 8 + k).toString(16)}`;
  if (kind < 0.6) {
    body = textPart(text, charset, 'plain');
  } else {
    const alternative = kind < 0.876 || r() < 0.5;
    const textOrAlt = alternative
      ? multipart('alternative', boundary(1), [textPart(text, charset, 'plain'), textPart(htmlOf(paras, GREETING[lang](toName), signature), 'utf-8', 'html')])
      : textPart(text, charset, 'plain');
    if (kind < 0.876) body = textOrAlt;
    else {
      const size = kind < 0.996 ? logUniform(r, 8_000, 60_000) : logUniform(r, 200_000, 3_000_000);
      const parts = [textOrAlt, attachmentPart(spec.seed, r, size)];
      if (r() < 0.15) parts.push(attachmentPart(spec.seed, r, logUniform(r, 2_000, 20_000)));
      body = multipart('mixed', boundary(0), parts);
    }
  }

  const headers = [
    `Return-Path: <${sender.address}>`,
    `Received: from mx.${sender.address.split('@')[1]} (mx.${sender.address.split('@')[1]} [192.0.2.${(i % 250) + 1}])\n\tby mail.example.test (Postfix) with ESMTPS id ${hash(spec.seed, i, 9).toString(16).toUpperCase()}\n\tfor <${spec.to.address}>; ${rfc2822Date(date, 0)}`,
    `Date: ${rfc2822Date(date, OFFSET[lang])}`,
    `From: ${mailbox(sender, charset)}`,
    `To: ${mailbox(spec.to, charset)}`,
    ...(r() < 0.2 ? [`Cc: ${[pick(r, PEOPLE), pick(r, PEOPLE)].map((p) => mailbox(p, p.lang === lang ? charset : 'utf-8')).join(', ')}`] : []),
    // A reply keeps the thread's subject, which may not fit the replier's charset.
    `Subject: ${encodeHeaderText(subject, representable(subject, charset) ? charset : 'utf-8')}`,
    `Message-ID: ${messageId}`,
    ...(parent !== null
      ? [`In-Reply-To: ${messageIdOf(spec, parent)}`, `References: ${chain.map((k) => messageIdOf(spec, k)).join('\n ')}`]
      : []),
    'MIME-Version: 1.0',
    `X-Mailer: ${pick(r, ['Petrel Bench 1.0', 'Mozilla Thunderbird', 'Apple Mail (2.3774)', 'Microsoft Outlook 16.0'])}`,
  ];
  // Every line is 7-bit by now (encoded-words, quoted-printable, base64, ISO-2022-JP).
  const raw = Buffer.from(`${headers.join('\n')}\n${body}`, 'latin1');

  const age = i / Math.max(1, spec.count);
  const seen = r() < (age < 0.97 ? 0.97 : 0.35);
  const flags = `${r() < 0.03 ? 'F' : ''}${seen && r() < 0.06 ? 'R' : ''}${seen ? 'S' : ''}`;
  return { index: i, raw, date, flags, subject, messageId };
}

// ---------------------------------------------------------------------------------------
// Delivery into Dovecot

export interface DeliveryReport {
  folder: string;
  count: number;
  bytes: number;
  generateAndWriteMs: number;
  indexMs: number;
  /** Subject of the newest message (what the list shows first). */
  newestSubject: string;
}

/** The user's Maildir folder for an IMAP path (Maildir++: `.Sub.Folder`). */
async function maildirOf(servers: MailServers, login: string, folder: string): Promise<string> {
  const home = (await servers.doveadm(['user', '-f', 'home', login])).trim();
  if (!home) throw new Error(`doveadm does not know the home of ${login}`);
  const root = path.join(home, 'Maildir');
  return folder.toUpperCase() === 'INBOX' ? root : path.join(root, `.${folder.replace(/\//g, '.')}`);
}

/**
 * Writes the corpus into `folder` of `login` (created when missing) and has Dovecot index
 * it. Messages are appended after what the folder holds.
 */
export async function deliverCorpus(servers: MailServers, login: string, folder: string, spec: CorpusSpec): Promise<DeliveryReport> {
  if (folder.toUpperCase() !== 'INBOX') {
    const existing = (await servers.doveadm(['mailbox', 'list', '-u', login])).split('\n');
    if (!existing.includes(folder)) await servers.doveadm(['mailbox', 'create', '-s', '-u', login, folder]);
  }
  const dir = await maildirOf(servers, login, folder);
  const owner = fs.statSync(dir);
  const cur = path.join(dir, 'cur');
  fs.mkdirSync(cur, { recursive: true });
  const started = Date.now();
  let bytes = 0;
  let newestSubject = '';
  const tag = hash(spec.seed, spec.count).toString(36);
  for (let i = 0; i < spec.count; i++) {
    const m = generateMessage(spec, i);
    const lfs = countLf(m.raw);
    // Dovecot takes the size (S=) and the CRLF size (W=) from the name instead of reading the file.
    const sec = Math.floor(m.date.getTime() / 1000);
    const name = `${sec}.M${i}P${tag}.bench,S=${m.raw.length},W=${m.raw.length + lfs}:2,${m.flags}`;
    const file = path.join(cur, name);
    fs.writeFileSync(file, m.raw, { mode: 0o600 });
    fs.chownSync(file, owner.uid, owner.gid);
    fs.utimesSync(file, m.date, m.date);
    bytes += m.raw.length;
    newestSubject = m.subject;
  }
  const written = Date.now();
  await servers.doveadm(['force-resync', '-u', login, folder]);
  await servers.doveadm(['index', '-u', login, folder]);
  return { folder, count: spec.count, bytes, generateAndWriteMs: written - started, indexMs: Date.now() - written, newestSubject };
}

function countLf(buf: Buffer): number {
  let n = 0;
  for (let at = buf.indexOf(10); at !== -1; at = buf.indexOf(10, at + 1)) n++;
  return n;
}

/** Messages in a folder, as Dovecot counts them. */
export async function folderCount(servers: MailServers, login: string, folder: string): Promise<number> {
  const out = await servers.doveadm(['-f', 'flow', 'mailbox', 'status', '-u', login, 'messages', folder]);
  const m = /messages=(\d+)/.exec(out);
  if (!m) throw new Error(`Unexpected doveadm mailbox status output: ${out}`);
  return Number(m[1]);
}
