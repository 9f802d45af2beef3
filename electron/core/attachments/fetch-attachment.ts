/**
 * One attachment's bytes, from a connected ImapFlow.
 *
 * The part ids are the body fetcher's (electron/core/sync/body-fetcher.ts): mailparser numbers
 * the parts of the MIME tree the way IMAP BODYSTRUCTURE does, so for an ordinary leaf part
 * (`2`, `1.3`) the engine fetches just that part (BODY.PEEK[2], decoded from base64/QP here,
 * bytes untouched otherwise: no charset conversion, no format=flowed unwrapping).
 *
 * Two cases need the whole message instead, parsed the same way the body fetcher parses it
 * and the attachment picked by the same identity (`attachmentMeta(a, i).partId`):
 *   - `idx:N` markers (an attachment IMAP cannot address alone);
 *   - a part id that is a message/rfc822 part in BODYSTRUCTURE: mailsplit gives the single
 *     body of an embedded non-multipart message its wrapper's number ("3"), where IMAP would
 *     say "3.1"; fetching "3" would hand over the whole embedded message instead.
 * Either way the message may be at most FULL_MESSAGE_LIMIT bytes.
 */
import type { ImapFlow, MessageStructureObject } from 'imapflow';
import type { Readable } from 'node:stream';
import type { AttachmentContent, AttachmentRef } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { mailparser } from '../lazy-modules';
import { attachmentMeta } from '../sync/body-fetcher';

/** The largest whole message parsed to find an attachment in it (raw bytes). */
export const FULL_MESSAGE_LIMIT = 64 * 1024 * 1024;
/** Bigger FETCH windows than imapflow's 64 KiB: far fewer round trips for large files. */
const CHUNK_SIZE = 1024 * 1024;

const IMAP_PART = /^[1-9]\d{0,5}(\.[1-9]\d{0,5}){0,30}$/;

export type PartPlan =
  | { kind: 'part'; node: MessageStructureObject }
  /** The whole message must be parsed (see the file comment); `why` is for the log. */
  | { kind: 'parse'; why: string }
  | { kind: 'missing' };

/** How to get the part `partId` of a message with this BODYSTRUCTURE. */
export function planPart(root: MessageStructureObject | undefined, partId: string): PartPlan {
  if (!IMAP_PART.test(partId)) return partId.startsWith('idx:') ? { kind: 'parse', why: 'no IMAP part number' } : { kind: 'missing' };
  if (!root) return { kind: 'parse', why: 'no BODYSTRUCTURE' };
  // A single-part message: its body is part 1 (imapflow fetches it as TEXT).
  const node = !root.childNodes && partId === '1' ? root : findNode(root, partId);
  if (!node) return { kind: 'missing' };
  if (node.type === 'message/rfc822') return { kind: 'parse', why: 'an embedded message' };
  if (node.type.startsWith('multipart/') || node.childNodes) return { kind: 'missing' };
  return { kind: 'part', node };
}

/** Depth first, parents before children: an rfc822 wrapper before its body (same number in imapflow). */
function findNode(node: MessageStructureObject, partId: string): MessageStructureObject | null {
  if (node.part === partId) return node;
  for (const child of node.childNodes ?? []) {
    const found = findNode(child, partId);
    if (found) return found;
  }
  return null;
}

/** A lower bound of a part's decoded size, from its encoded size. */
export function decodedAtLeast(node: MessageStructureObject): number {
  const size = node.size ?? 0;
  switch ((node.encoding ?? '').toLowerCase()) {
    case 'base64':
      // 4 characters -> 3 bytes, less line breaks (76 + CRLF per line at most).
      return Math.floor(size * 0.7);
    case 'quoted-printable':
      return Math.floor(size / 3);
    default:
      return size;
  }
}

export function tooLarge(maxBytes: number, size?: number): PetrelError {
  const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return new PetrelError(
    'MESSAGE_TOO_LARGE',
    `This attachment is ${size !== undefined ? `about ${mb(size)}, ` : ''}larger than the ${mb(maxBytes)} Petrel can save from here. Open the message in the provider's webmail to get it.`,
    { limit: maxBytes, ...(size !== undefined ? { size } : {}) },
  );
}

/** The stream's bytes, or null once they pass `limit` (the stream is then destroyed). */
export async function readAll(stream: Readable, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += b.length;
    if (total > limit) {
      stream.destroy();
      return null;
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, total);
}

function wholeMessageTooLarge(size?: number): PetrelError {
  return new PetrelError(
    'MESSAGE_TOO_LARGE',
    `This attachment can only be taken out of the whole message, and the message is larger than the ${(FULL_MESSAGE_LIMIT / (1024 * 1024)).toFixed(0)} MB Petrel reads for that.`,
    { limit: FULL_MESSAGE_LIMIT, ...(size !== undefined ? { size } : {}) },
  );
}

function gone(what: 'message' | 'part'): PetrelError {
  return new PetrelError(
    'NOT_FOUND',
    what === 'message'
      ? 'The message is no longer on the server; it may have been moved or deleted.'
      : 'The message has no such attachment (any more); reopen the message.',
  );
}

export const FOLDER_CHANGED = 'The folder changed on the server; reopen the message.';

export interface FetchAttachmentOptions {
  maxBytes: number;
  /** Told why a whole message was parsed (the log). */
  note?: (message: string) => void;
}

/**
 * Opens a message's folder read-only (so \Seen is not set): NOT_FOUND when the folder is gone
 * or has another UIDVALIDITY than the reference (its UIDs no longer name the same messages).
 */
export async function openForMessage(client: ImapFlow, ref: { path: string; uidValidity: string }): Promise<void> {
  let mailbox;
  try {
    mailbox = await client.mailboxOpen(ref.path, { readOnly: true });
  } catch (e) {
    const err = e as { serverResponseCode?: unknown; responseText?: unknown };
    if (err.serverResponseCode === 'NONEXISTENT' || /doesn.t exist|not exist|no such|unknown mailbox/i.test(String(err.responseText ?? ''))) {
      throw new PetrelError('NOT_FOUND', `The folder ${ref.path} is no longer on the server.`);
    }
    throw e;
  }
  if (mailbox.uidValidity.toString() !== ref.uidValidity) throw new PetrelError('NOT_FOUND', FOLDER_CHANGED, { reason: 'uidvalidity' });
}

/** Fetches one attachment (the folder opened read-only). */
export async function fetchAttachment(client: ImapFlow, ref: AttachmentRef, options: FetchAttachmentOptions): Promise<AttachmentContent> {
  const { maxBytes } = options;
  await openForMessage(client, ref);

  const uid = String(ref.uid);
  const msg = await client.fetchOne(uid, { uid: true, size: true, bodyStructure: true }, { uid: true });
  if (!msg) throw gone('message');

  const plan = planPart(msg.bodyStructure, ref.partId);
  if (plan.kind === 'missing') throw gone('part');

  if (plan.kind === 'part') {
    const node = plan.node;
    const atLeast = decodedAtLeast(node);
    if (atLeast > maxBytes) throw tooLarge(maxBytes, atLeast);
    const download = await client.download(uid, ref.partId, { uid: true, decodeText: false, maxBytes: maxBytes + 1, chunkSize: CHUNK_SIZE });
    if (!download.content) throw gone('part');
    const bytes = await readAll(download.content, maxBytes);
    if (!bytes) throw tooLarge(maxBytes);
    const filename = download.meta.filename || node.dispositionParameters?.filename || node.parameters?.name || '';
    return {
      filename: filename.slice(0, 1000),
      contentType: (download.meta.contentType || node.type || 'application/octet-stream').slice(0, 255),
      size: bytes.length,
      contentBase64: bytes.toString('base64'),
    };
  }

  // The whole message, parsed as the body fetcher parses it.
  options.note?.(`parsing the whole message for part ${ref.partId}: ${plan.why}`);
  if (msg.size !== undefined && msg.size > FULL_MESSAGE_LIMIT) throw wholeMessageTooLarge(msg.size);
  const download = await client.download(uid, undefined, { uid: true, maxBytes: FULL_MESSAGE_LIMIT + 1, chunkSize: CHUNK_SIZE });
  if (!download.content) throw gone('message');
  const source = await readAll(download.content, FULL_MESSAGE_LIMIT);
  if (!source) throw wholeMessageTooLarge();
  const { simpleParser } = await mailparser();
  const parsed = await simpleParser(source, { skipTextToHtml: true, skipTextLinks: true, skipHtmlToText: true });
  const index = parsed.attachments.findIndex((a, i) => attachmentMeta(a, i).partId === ref.partId);
  const found = parsed.attachments[index];
  if (!found) throw gone('part');
  if (found.content.length > maxBytes) throw tooLarge(maxBytes, found.content.length);
  const meta = attachmentMeta(found, index);
  return {
    filename: meta.filename,
    contentType: meta.contentType,
    size: found.content.length,
    contentBase64: found.content.toString('base64'),
  };
}
