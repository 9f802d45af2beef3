import type { ComposeInputIn, DraftRef, Envelope, RejectedRecipient } from '../../../shared/contract';
import type { ErrorData } from '../../../shared/errors';

/**
 * waiting    the undo window: nothing has left the window yet; Undo takes it back.
 * queued     due, waiting for the engine (and its turn).
 * sending    handed to the engine; its outcome is not known here yet. Found at startup (or
 *            after a lost connection) it is reconciled with the engine's journal, never just
 *            sent again.
 * filing     the server accepted it; the Sent copy is still to be made (retried on its own;
 *            retrying never sends it again).
 * sent       done, but some recipients were refused: kept until the person has read that.
 * failed     not sent; `error` says why in the server's words. Retried on its own when the
 *            error is temporary (`retryable`), otherwise it waits for the person.
 * uncertain  the connection broke just after the message went out: the person decides.
 */
export type OutboxState = 'waiting' | 'queued' | 'sending' | 'filing' | 'sent' | 'failed' | 'uncertain';

export interface ComposerAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  contentBase64: string;
}

/** What the composer shows: kept for Undo, Edit and the local draft. */
export interface ComposerContent {
  accountId: string;
  identityId: string;
  /** Address fields as typed ("Ann <ann@example.com>, bob@example.com"). */
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  /** The plain text (always; derived from the rich text when there is some). */
  text: string;
  /** Rich text as HTML, or null for a plain-text message. */
  html: string | null;
  attachments: ComposerAttachment[];
  inReplyTo?: string;
  references?: string[];
  /** The server copy of this draft (drafts.save), replaced by each save and removed once sent. */
  draftRef?: DraftRef;
  /** The message this one answers or forwards: marked \Answered or $Forwarded once this is sent. */
  respondsTo?: RespondsTo;
}

/** A message in an IMAP folder that a reply or forward is about. */
export interface RespondsTo {
  accountId: string;
  path: string;
  uidValidity: string;
  uid: number;
  mark: 'answered' | 'forwarded';
}

export interface OutboxEntry {
  /** The outbox's own key (the Message-ID exists only once the message is built). */
  id: string;
  accountId: string;
  /** What goes to outbox.build (kept until the message is built). */
  input: ComposeInputIn;
  /**
   * The built message: set once, by the first successful outbox.build, and never rebuilt, so
   * every retry sends the same bytes under the same Message-ID. Missing while the engine was
   * unreachable at Send: the runner builds it when the engine is back.
   */
  messageId?: string;
  /** base64 */
  raw?: string;
  size?: number;
  envelope?: Envelope;
  summary: { from: string; to: string[]; subject: string };
  content: ComposerContent;
  draftRef?: DraftRef;
  saveToSent: boolean;
  state: OutboxState;
  /** When the undo window ends (ms since epoch). */
  sendAt: number;
  createdAt: number;
  updatedAt: number;
  /** Submissions started. */
  attempts: number;
  /** When a temporary failure (or a pending Sent copy) is tried again. */
  nextAttemptAt?: number;
  error?: ErrorData;
  /** The error is temporary: tried again on its own. */
  retryable?: boolean;
  /** Recipients refused while others got it. */
  rejected?: RejectedRecipient[];
}

/** A composer's content saved on this device, on every pause, until it is sent or discarded. */
export interface LocalDraft {
  key: string;
  content: ComposerContent;
  updatedAt: number;
}
