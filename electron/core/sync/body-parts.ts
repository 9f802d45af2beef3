/**
 * Reading a message without downloading its attachments.
 *
 * The reader and the offline download need a message's text, its HTML and the list of its
 * attachments, never the attachments' bytes (those come one part at a time when the person
 * saves one: electron/core/attachments). Downloading the whole message (BODY.PEEK[]) for that
 * moves every attachment over the network and through mailparser, which splits and hashes
 * it line by line: in the benchmark corpus ~80% of the bytes and well over half of the
 * parsing time of an offline download.
 *
 * So the engine asks for the BODYSTRUCTURE first. Where the parts mailparser would treat as
 * attachments hold at least `PRUNE_MIN_BYTES`, it fetches the message's header, every part's
 * MIME header and only the bodies of the text parts, and rebuilds the message with the same
 * tree, the same headers and empty attachment bodies. mailparser then reads that exactly as
 * it reads the original (same text, HTML, part numbers, file names, content ids); only the
 * sizes of the emptied attachments come from BODYSTRUCTURE (their decoded size, estimated).
 * Parts with a Content-ID keep their bodies: those are the images the HTML shows inline.
 *
 * A message that is a single file is read as its header alone. Anything unusual is fetched
 * whole, as before: a single-part text, an embedded message
 * (mailparser numbers its parts differently from IMAP), a multipart without a boundary, a
 * structure imapflow could not read, or a part the server did not return.
 */
import type { MessageStructureObject } from 'imapflow';

/** Below this many bytes of attachments, one whole-message literal is cheaper than the parts. */
export const PRUNE_MIN_BYTES = 16 * 1024;

/** The parts mailparser reads as text when they are inline (mail-parser.js `textTypes`). */
const TEXT_TYPES = new Set(['text/plain', 'text/html', 'message/delivery-status']);

const IMAP_PART = /^[1-9]\d{0,5}(\.[1-9]\d{0,5}){0,30}$/;

export type BodyPlan =
  | { kind: 'whole'; why: string }
  | {
      kind: 'parts';
      /** The sections to fetch besides the message header, e.g. `1.MIME`, `1`, `2.MIME` (sorted: the group key). */
      sections: string[];
      /** Decoded size (estimated) of each emptied part, by part number. */
      pruned: Map<string, number>;
      root: MessageStructureObject;
    };

/** Whether mailparser treats this leaf as an attachment (mirrors mail-parser.js `createNode`). */
export function isAttachmentLeaf(node: MessageStructureObject): boolean {
  const type = (node.type || '').toLowerCase();
  const disposition = (node.disposition || '').toLowerCase();
  if (!TEXT_TYPES.has(type)) return true;
  return disposition !== '' && disposition !== 'inline';
}

/** A part's decoded size from its encoded size: base64 is 57 bytes per 76 characters + CRLF. */
export function estimatedDecodedSize(node: MessageStructureObject): number {
  const size = node.size ?? 0;
  return (node.encoding ?? '').toLowerCase() === 'base64' ? Math.floor((size * 57) / 78) : size;
}

/** How to read a message with this BODYSTRUCTURE. */
export function planBody(root: MessageStructureObject | undefined): BodyPlan {
  if (!root) return { kind: 'whole', why: 'no BODYSTRUCTURE' };
  if (!root.childNodes?.length && !root.type?.toLowerCase().startsWith('multipart/') && !root.type?.toLowerCase().startsWith('message/')) {
    // A message that is one file (a scanner's PDF): its header is all the reader needs.
    if (!isAttachmentLeaf(root) || root.id || (root.size ?? 0) < PRUNE_MIN_BYTES) return { kind: 'whole', why: 'single part' };
    return { kind: 'parts', sections: [], pruned: new Map([['1', estimatedDecodedSize(root)]]), root };
  }
  if (!root.childNodes?.length || !root.type?.toLowerCase().startsWith('multipart/')) return { kind: 'whole', why: 'single part' };
  const sections: string[] = [];
  const pruned = new Map<string, number>();
  let prunedBytes = 0;
  const walk = (node: MessageStructureObject, isRoot: boolean): string | null => {
    const type = (node.type || '').toLowerCase();
    if (!isRoot) {
      if (!node.part || !IMAP_PART.test(node.part)) return 'a part without a number';
      sections.push(`${node.part}.MIME`);
    }
    if (type.startsWith('multipart/')) {
      if (!node.childNodes?.length) return 'an empty multipart';
      if (!node.parameters?.boundary) return 'a multipart without a boundary';
      for (const child of node.childNodes) {
        const why = walk(child, false);
        if (why) return why;
      }
      return null;
    }
    if (node.childNodes?.length || type.startsWith('message/') && type !== 'message/delivery-status') return 'an embedded message';
    // A part with a Content-ID is kept: mailparser writes the images the HTML refers to by
    // cid: into it as data: URLs, which is how the reader shows them, offline too.
    if (isAttachmentLeaf(node) && !node.id) {
      pruned.set(node.part!, estimatedDecodedSize(node));
      prunedBytes += node.size ?? 0;
    } else {
      sections.push(node.part!);
    }
    return null;
  };
  const why = walk(root, true);
  if (why) return { kind: 'whole', why };
  if (prunedBytes < PRUNE_MIN_BYTES) return { kind: 'whole', why: 'small attachments' };
  sections.sort();
  return { kind: 'parts', sections, pruned, root };
}

const CRLF = Buffer.from('\r\n');

/**
 * The message rebuilt from its header and the fetched sections, attachment bodies left empty;
 * null when a section is missing (the server did not return it): read the whole message then.
 * `section(key)` looks up a fetched section by its upper-case key (`1.MIME`, `2`).
 */
export function assembleMessage(
  plan: Extract<BodyPlan, { kind: 'parts' }>,
  header: Buffer | undefined,
  section: (key: string) => Buffer | undefined,
): Buffer | null {
  if (!header?.length) return null;
  const out: Buffer[] = [];
  const emit = (node: MessageStructureObject, head: Buffer): boolean => {
    out.push(withBlankLine(head));
    const type = (node.type || '').toLowerCase();
    if (type.startsWith('multipart/')) {
      const boundary = node.parameters!.boundary!;
      // The header must name the boundary BODYSTRUCTURE gave (a server's parse could differ): else read it whole.
      if (!head.includes(boundary)) return false;
      for (const child of node.childNodes!) {
        const childHead = section(`${child.part}.MIME`);
        if (!childHead) return false;
        out.push(Buffer.from(`--${boundary}\r\n`));
        if (!emit(child, childHead)) return false;
        out.push(CRLF);
      }
      out.push(Buffer.from(`--${boundary}--\r\n`));
      return true;
    }
    if (plan.pruned.has(node.part ?? '1')) return true;
    const body = section(node.part!);
    if (!body) return false;
    out.push(body);
    return true;
  };
  return emit(plan.root, header) ? Buffer.concat(out) : null;
}

/** A header block ends with an empty line; servers return it with the block, but not every server. */
function withBlankLine(head: Buffer): Buffer {
  const n = head.length;
  if (n === 0) return CRLF;
  if (n >= 4 && head[n - 4] === 13 && head[n - 3] === 10 && head[n - 2] === 13 && head[n - 1] === 10) return head;
  if (n >= 2 && head[n - 2] === 10 && head[n - 1] === 10) return head;
  if (n === 2 && head[0] === 13 && head[1] === 10) return head;
  return Buffer.concat([head, n >= 2 && head[n - 2] === 13 && head[n - 1] === 10 ? CRLF : Buffer.from('\r\n\r\n')]);
}
