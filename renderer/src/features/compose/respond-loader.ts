import { MAX_ATTACHMENTS_BYTES, type Account, type AttachmentMeta } from '../../../../shared/contract';
import { PetrelError } from '../../../../shared/errors';
import { messageBody, putBody, type BodyRecord, type MessageKey, type MessageRecord, type PetrelDb } from '../../db';
import type { EngineConnection } from '../../ipc/connect';
import { isRetryable } from '../../ops';
import type { ComposerAttachment, ComposerContent } from '../../outbox';
import { sanitizeMessageHtml } from '../reader/sanitize';
import { editorText, sanitizeEditorHtml } from './editor-html';
import { formatSize } from './files';
import {
  addressField,
  emlFilename,
  forwardBody,
  forwardSubject,
  newMessageBody,
  ownAddresses,
  pickIdentity,
  replyBody,
  replyRecipients,
  replySubject,
  threadHeaders,
  type QuotedBody,
  type RespondKind,
} from './respond';

/**
 * Gathers what a reply or forward needs (the original's header and body, from the cache or
 * the engine; for a forward its attachments or its raw bytes) and builds the composer's
 * starting content. The original's HTML goes through the reader's sanitizer (remote images
 * blocked, nothing active) and then the editor's narrower one (no images at all), so nothing
 * in the composer loads from the network.
 */

export type RespondEngine = Pick<EngineConnection, 'call'>;

const NO_CIDS: ReadonlyMap<string, string> = new Map();

/** The original's body: cached, else fetched (and cached for later). */
export async function originalBody(db: PetrelDb, engine: RespondEngine, m: MessageRecord): Promise<BodyRecord> {
  const cached = await messageBody(db, [m.accountId, m.path, m.uid]);
  if (cached && cached.uidValidity === m.uidValidity) return cached;
  const body = await engine.call('messages.body', { accountId: m.accountId, path: m.path, uidValidity: m.uidValidity, uid: m.uid });
  await putBody(db, body).catch(() => false);
  return body;
}

/** The body as safe editor HTML and as text. */
export function quotable(body: Pick<BodyRecord, 'html' | 'text'>): QuotedBody {
  if (body.html !== null && body.html.trim() !== '') {
    const safe = sanitizeEditorHtml(sanitizeMessageHtml(body.html, { allowRemote: false, cidUrls: NO_CIDS }).html);
    const el = document.createElement('div');
    el.innerHTML = safe;
    return { html: safe, text: body.text?.trim() ? body.text : editorText(el) };
  }
  return { html: null, text: body.text ?? '' };
}

/** Attachments a forward carries along: what the reader lists (not an HTML body's inline pictures). */
export function forwardedParts(body: BodyRecord): AttachmentMeta[] {
  return body.attachments.filter((a) => !(body.html !== null && a.inline && a.contentId));
}

const MIME = /^[\w.+-]+\/[\w.+-]+$/;

function tooLarge(total: number): PetrelError {
  return new PetrelError(
    'MESSAGE_TOO_LARGE',
    `The original's attachments come to ${formatSize(total)}; a message can carry at most ${formatSize(MAX_ATTACHMENTS_BYTES)}.`,
    { size: total, limit: MAX_ATTACHMENTS_BYTES },
  );
}

let seq = 0;
const attachmentId = () => `fwd-${Date.now().toString(36)}-${seq++}`;

async function fetchParts(engine: RespondEngine, m: MessageRecord, parts: readonly AttachmentMeta[]): Promise<ComposerAttachment[]> {
  const total = parts.reduce((n, p) => n + p.size, 0);
  if (total > MAX_ATTACHMENTS_BYTES) throw tooLarge(total);
  const out: ComposerAttachment[] = [];
  for (const p of parts) {
    const got = await engine.call('messages.attachment', { accountId: m.accountId, path: m.path, uidValidity: m.uidValidity, uid: m.uid, partId: p.partId });
    const type = got.contentType.split(';')[0]!.trim().toLowerCase();
    out.push({
      id: attachmentId(),
      filename: (got.filename || p.filename || 'attachment').slice(0, 255),
      contentType: MIME.test(type) ? type : 'application/octet-stream',
      size: got.size,
      contentBase64: got.contentBase64,
    });
  }
  const sum = out.reduce((n, a) => n + a.size, 0);
  if (sum > MAX_ATTACHMENTS_BYTES) throw tooLarge(sum);
  return out;
}

export interface RespondDeps {
  db: PetrelDb;
  engine: RespondEngine;
  accounts: readonly Account[];
  locale?: string;
}

/** Content for the composer; `unquoted`: the original could not be loaded (offline), so it is not quoted. */
export type RespondContent = Partial<ComposerContent> & { unquoted?: true };

/** The composer's starting content for answering or forwarding the message at `key`. */
export async function respondContent(kind: RespondKind, key: MessageKey, deps: RespondDeps): Promise<RespondContent> {
  const { db, engine } = deps;
  const m = await db.messages.get(key);
  if (!m) throw new PetrelError('NOT_FOUND', 'This message is no longer here. It may have been moved or deleted.');
  const account = deps.accounts.find((a) => a.id === m.accountId);
  if (!account) throw new PetrelError('NOT_FOUND', 'The account of this message was removed.');
  const identityId = pickIdentity(account, m);
  const signature = account.identities.find((i) => i.id === identityId)?.signature ?? '';
  const base = { accountId: account.id, identityId };
  const target = { accountId: m.accountId, path: m.path, uidValidity: m.uidValidity, uid: m.uid };

  if (kind === 'reply' || kind === 'replyAll') {
    const folder = await db.folders.get([m.accountId, m.path]);
    const { to, cc } = replyRecipients(m, { all: kind === 'replyAll', own: ownAddresses(account), inSent: folder?.specialUse === 'sent' });
    // Offline with the body not cached yet, a reply still goes out, just without the quote.
    let quoted: QuotedBody | null = null;
    try {
      quoted = quotable(await originalBody(db, engine, m));
    } catch (e) {
      if (!(e instanceof PetrelError && isRetryable(e.code))) throw e;
    }
    const body = quoted ? replyBody(m, quoted, signature, deps.locale) : newMessageBody(signature);
    const thread = threadHeaders(m);
    return {
      ...(quoted ? {} : { unquoted: true }),
      ...base,
      to: addressField(to),
      cc: addressField(cc),
      subject: replySubject(m.subject),
      html: body.html,
      text: body.text,
      ...(thread.inReplyTo ? { inReplyTo: thread.inReplyTo } : {}),
      references: thread.references,
      respondsTo: { ...target, mark: 'answered' },
    };
  }

  if (kind === 'forwardAsAttachment') {
    const raw = await engine.call('messages.raw', target);
    // Only room for a note and the signature: the original travels whole, as the attachment.
    const body = newMessageBody(signature);
    return {
      ...base,
      subject: forwardSubject(m.subject),
      html: body.html,
      text: body.text,
      attachments: [{ id: attachmentId(), filename: emlFilename(m.subject), contentType: 'message/rfc822', size: raw.size, contentBase64: raw.contentBase64 }],
      respondsTo: { ...target, mark: 'forwarded' },
    };
  }

  const original = await originalBody(db, engine, m);
  const attachments = await fetchParts(engine, m, forwardedParts(original));
  const body = forwardBody(m, quotable(original), signature, deps.locale);
  return {
    ...base,
    subject: forwardSubject(m.subject),
    html: body.html,
    text: body.text,
    attachments,
    respondsTo: { ...target, mark: 'forwarded' },
  };
}
