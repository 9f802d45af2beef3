import { z } from 'zod';
import { ErrorDataSchema } from '../errors';
import { AccountIdSchema, EmailSchema } from './accounts';
import { method } from './define';
import { Uint64StringSchema } from './sync';

/**
 * Sending. The message is built once by the engine (`outbox.build`: MIME, Message-ID, Date)
 * and kept by the renderer in its outbox (IndexedDB) until it is sent; the engine keeps no
 * copy of it, only a tiny submission journal (Message-ID -> how far sending got), which makes
 * `outbox.submit` idempotent by Message-ID, across engine restarts too:
 *
 *   no entry       nothing went out: send.
 *   'submitting'   the message body was going out when the engine stopped or the connection
 *                  dropped: it may have been sent. The engine looks for the Message-ID in Sent;
 *                  when it is not there, submit fails with SEND_UNCERTAIN and only `resend: true`
 *                  (the person said "send again") sends it.
 *   'submitted'    the server accepted it: only the Sent copy (and the draft removal) is left.
 *   'filed'        done: submit answers from the journal and contacts no server.
 *
 * Raw messages travel as base64 (RFC 5322 bytes may be 8-bit: international addresses).
 */

/** Attachments together, before encoding. Keeps a built message within the IPC limits. */
export const MAX_ATTACHMENTS_BYTES = 25 * 1024 * 1024;
export const MAX_ATTACHMENTS = 100;
/** The largest built message (bytes). */
export const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;
const base64Length = (bytes: number) => Math.ceil(bytes / 3) * 4;

const Base64 = (maxBytes: number) =>
  z
    .string()
    .max(base64Length(maxBytes))
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

/** `<local@domain>`, as in the Message-ID header. */
export const MessageIdSchema = z
  .string()
  .max(998)
  .regex(/^<[^<>\s@]+@[^<>\s@]+>$/, 'a Message-ID like <id@domain>');

export const ComposeAddressSchema = z.object({
  name: z.string().max(200).default(''),
  address: EmailSchema,
});
export type ComposeAddress = z.infer<typeof ComposeAddressSchema>;
export type ComposeAddressIn = z.input<typeof ComposeAddressSchema>;

export const ComposeAttachmentSchema = z.object({
  filename: z.string().min(1).max(255),
  contentType: z
    .string()
    .max(255)
    .regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type like application/pdf')
    .default('application/octet-stream'),
  contentBase64: Base64(MAX_ATTACHMENTS_BYTES),
});
export type ComposeAttachment = z.infer<typeof ComposeAttachmentSchema>;

const Recipients = z.array(ComposeAddressSchema).max(1000).default([]);

/** What the person wrote. `html` is optional; its plain-text alternative is derived from it. */
export const ComposeInputSchema = z
  .object({
    accountId: AccountIdSchema,
    identityId: z.string().min(1).max(64),
    to: Recipients,
    cc: Recipients,
    bcc: Recipients,
    subject: z.string().max(2000).default(''),
    text: z.string().max(5_000_000).default(''),
    html: z.string().max(10_000_000).optional(),
    inReplyTo: MessageIdSchema.optional(),
    references: z.array(MessageIdSchema).max(500).default([]),
    attachments: z.array(ComposeAttachmentSchema).max(MAX_ATTACHMENTS).default([]),
  })
  .strict();
export type ComposeInput = z.infer<typeof ComposeInputSchema>;
export type ComposeInputIn = z.input<typeof ComposeInputSchema>;

/** The SMTP envelope: MAIL FROM and every RCPT TO (To, Cc and Bcc). */
export const EnvelopeSchema = z.object({
  from: EmailSchema,
  to: z.array(EmailSchema).min(1).max(3000),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

export const BuiltMessageSchema = z.object({
  messageId: MessageIdSchema,
  /** The RFC 5322 message, base64. Sent and filed byte for byte as it is. */
  raw: Base64(MAX_MESSAGE_BYTES),
  /** Bytes of the message. */
  size: z.number().int().nonnegative(),
  envelope: EnvelopeSchema,
  /** The Date header (ms since epoch). */
  date: z.number(),
});
export type BuiltMessage = z.infer<typeof BuiltMessageSchema>;

/** One message in an IMAP folder. */
export const DraftRefSchema = z.object({
  accountId: AccountIdSchema,
  path: z.string().min(1).max(1000),
  uidValidity: Uint64StringSchema,
  uid: z.number().int().min(1).max(4_294_967_295),
});
export type DraftRef = z.infer<typeof DraftRefSchema>;

export const JournalStateSchema = z.enum(['submitting', 'submitted', 'filed']);
export type JournalState = z.infer<typeof JournalStateSchema>;

/** A recipient the server refused while others were accepted, in the server's words. */
export const RejectedRecipientSchema = z.object({ address: z.string().max(1000), response: z.string().max(1000) });
export type RejectedRecipient = z.infer<typeof RejectedRecipientSchema>;

export const SubmitResultSchema = z.object({
  /**
   * 'sent': accepted by the server and done (filed in Sent, or no copy wanted).
   * 'submitted': accepted by the server, but the Sent copy failed (`sentCopyError`): keep the
   * message and submit again later; that does not send it again, it only files the copy.
   */
  state: z.enum(['sent', 'submitted']),
  filedInSent: z.boolean(),
  /** Recipients refused while others were accepted (all refused is RECIPIENT_REJECTED). */
  rejected: z.array(RejectedRecipientSchema).default([]),
  sentCopyError: ErrorDataSchema.optional(),
  /** The draft it came from was removed (false when there was none, or removing failed). */
  draftRemoved: z.boolean().default(false),
});
export type SubmitResult = z.infer<typeof SubmitResultSchema>;

export const SubmitParamsSchema = z
  .object({
    accountId: AccountIdSchema,
    messageId: MessageIdSchema,
    raw: BuiltMessageSchema.shape.raw,
    envelope: EnvelopeSchema,
    /** Append a copy to Sent (skipped anyway when the server files sent mail itself). */
    saveToSent: z.boolean().default(true),
    /** The draft this message came from: removed once the message is sent. */
    draft: DraftRefSchema.optional(),
    /** The person chose "send again" for a message that may already have been sent. */
    resend: z.boolean().default(false),
  })
  .strict();
export type SubmitParams = z.infer<typeof SubmitParamsSchema>;
export type SubmitParamsIn = z.input<typeof SubmitParamsSchema>;

export const OutboxStatusSchema = z.object({
  journal: JournalStateSchema.nullable(),
  /** A submit for this message is running in the engine right now. */
  inFlight: z.boolean(),
  /** Whether Sent holds the Message-ID; null when Sent could not be searched. */
  inSent: z.boolean().nullable(),
});
export type OutboxStatus = z.infer<typeof OutboxStatusSchema>;

export const DraftSaveResultSchema = DraftRefSchema.extend({ messageId: MessageIdSchema });
export type DraftSaveResult = z.infer<typeof DraftSaveResultSchema>;

export const outboxMethods = {
  /** Builds the message once (MIME, Message-ID, Date). Sends nothing, stores nothing. */
  'outbox.build': method(ComposeInputSchema, BuiltMessageSchema),
  /** Submits over SMTP, files the Sent copy, removes the draft. Idempotent by Message-ID. */
  'outbox.submit': method(SubmitParamsSchema, SubmitResultSchema),
  /** How far a message got, for reconciling the outbox after a restart. */
  'outbox.status': method(
    z.object({ accountId: AccountIdSchema, messageId: MessageIdSchema }).strict(),
    OutboxStatusSchema,
  ),
  /** Saves a draft in the account's Drafts folder (\Draft \Seen), then removes the version it replaces. */
  'drafts.save': method(
    z.object({ message: ComposeInputSchema, replaces: DraftRefSchema.optional() }).strict(),
    DraftSaveResultSchema,
  ),
  /** Removes a draft (nothing happens when it is already gone or the folder was recreated). */
  'drafts.remove': method(z.object({ ref: DraftRefSchema }).strict(), z.object({ removed: z.boolean() })),
} as const;

export const outboxEvents = {} as const;
