import { z } from 'zod';
import { AccountIdSchema } from './accounts';
import { method } from './define';
import { Uint64StringSchema } from './sync';

/**
 * Attachments, fetched on demand (Save in the reader). `partId` is the one the message's
 * body carries (`MessageBody.attachments[].partId`, see electron/core/sync/body-fetcher.ts):
 * an IMAP body part number ("2", "1.3"), or, for the rare attachment IMAP cannot address
 * alone, a marker the engine resolves by parsing the whole message the same way.
 *
 * The content travels in one answer as base64, so it is size-limited: a larger attachment
 * is refused with MESSAGE_TOO_LARGE (and the renderer says so).
 */

/** The largest attachment the engine hands over (decoded bytes). */
export const MAX_ATTACHMENT_DOWNLOAD_BYTES = 40 * 1024 * 1024;
const base64Length = (bytes: number) => Math.ceil(bytes / 3) * 4;

export const AttachmentRefSchema = z
  .object({
    accountId: AccountIdSchema,
    path: z.string().min(1).max(1000),
    uidValidity: Uint64StringSchema,
    uid: z.number().int().min(1).max(4_294_967_295),
    partId: z.string().min(1).max(100),
  })
  .strict();
export type AttachmentRef = z.infer<typeof AttachmentRefSchema>;

export const AttachmentContentSchema = z.object({
  /** As the message names it (may be empty: the renderer falls back to the name it shows). */
  filename: z.string().max(1000),
  contentType: z.string().max(255),
  /** Decoded bytes. */
  size: z.number().int().nonnegative().max(MAX_ATTACHMENT_DOWNLOAD_BYTES),
  contentBase64: z
    .string()
    .max(base64Length(MAX_ATTACHMENT_DOWNLOAD_BYTES))
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
});
export type AttachmentContent = z.infer<typeof AttachmentContentSchema>;

/**
 * The largest whole message the engine hands over (forward as attachment): it is attached to
 * a new message, so it must fit in what one message may carry.
 */
export const MAX_RAW_MESSAGE_BYTES = 25 * 1024 * 1024;

export const RawMessageRefSchema = AttachmentRefSchema.omit({ partId: true }).strict();
export type RawMessageRef = z.infer<typeof RawMessageRefSchema>;

export const RawMessageSchema = z.object({
  /** Bytes of the message as the server stores it (RFC 5322). */
  size: z.number().int().nonnegative().max(MAX_RAW_MESSAGE_BYTES),
  contentBase64: z
    .string()
    .max(base64Length(MAX_RAW_MESSAGE_BYTES))
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
});
export type RawMessage = z.infer<typeof RawMessageSchema>;

export const attachmentMethods = {
  /**
   * A whole message, byte for byte (to forward it as an attachment). NOT_FOUND when the folder
   * changed or the message is gone; MESSAGE_TOO_LARGE above MAX_RAW_MESSAGE_BYTES.
   */
  'messages.raw': method(RawMessageRefSchema, RawMessageSchema),
  /**
   * One attachment's decoded bytes. NOT_FOUND when the folder changed (another UIDVALIDITY),
   * the message is gone or it has no such part; MESSAGE_TOO_LARGE above the limit.
   */
  'messages.attachment': method(AttachmentRefSchema, AttachmentContentSchema),
} as const;
