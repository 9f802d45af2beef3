import { z } from 'zod';
import { AccountIdSchema } from './accounts';
import { event, method } from './define';

/**
 * The sync contract: the engine streams idempotent deltas, the renderer applies them to
 * IndexedDB (its one store of mail) and keeps a cursor per folder, which it hands back
 * on every (re)connect so the engine resumes from there. Re-applying any delta, or
 * replaying from an older cursor, must give the same result.
 *
 * 64-bit IMAP values (UIDVALIDITY, MODSEQ) travel as decimal strings: JSON has no BigInt.
 */
export const Uint64StringSchema = z.string().regex(/^\d{1,20}$/, 'a decimal 64-bit number');
const Uid = z.number().int().min(1).max(4_294_967_295);
const FolderPath = z.string().min(1).max(1000);

export const SpecialUseSchema = z.enum(['inbox', 'drafts', 'sent', 'trash', 'junk', 'archive', 'all', 'flagged']);
export type SpecialUse = z.infer<typeof SpecialUseSchema>;

export const FolderSchema = z.object({
  accountId: AccountIdSchema,
  path: FolderPath,
  name: z.string(),
  delimiter: z.string().max(1).nullable(),
  parentPath: FolderPath.nullable(),
  specialUse: SpecialUseSchema.nullable(),
  subscribed: z.boolean(),
  /** \Noselect or \NonExistent folders only group others. */
  selectable: z.boolean(),
  total: z.number().int().nonnegative(),
  unread: z.number().int().nonnegative(),
});
export type Folder = z.infer<typeof FolderSchema>;

export const FolderCursorSchema = z.object({
  accountId: AccountIdSchema,
  path: FolderPath,
  uidValidity: Uint64StringSchema,
  /** Null where the server has no CONDSTORE. */
  highestModseq: Uint64StringSchema.nullable(),
  uidNext: z.number().int().nonnegative(),
  /**
   * An initial sync under way: every message with a UID at or above this one is stored, the
   * older ones not yet. The other fields are the folder as that sync found it when it started.
   * After a restart the engine fetches only the older ones, then syncs from this cursor.
   */
  partialBelow: z.number().int().positive().optional(),
});
export type FolderCursor = z.infer<typeof FolderCursorSchema>;

export const AddressSchema = z.object({ name: z.string().max(1000), address: z.string().max(1000) });
export type Address = z.infer<typeof AddressSchema>;

/**
 * References kept on a cached header and put in a reply, at most: the first (the thread's root)
 * and the most recent ones, as RFC 5322 3.6.4 suggests shortening them. Every id kept on a header
 * is an entry of the renderer's conversation index (IndexedDB's work in a first sync grows with
 * each), and the root and the parent are what link a message to its conversation.
 */
export const MAX_REFERENCES = 20;

/** `ids` shortened to `max`: the first, then the last `max - 1`. */
export function trimReferences<T>(ids: readonly T[], max: number = MAX_REFERENCES): T[] {
  return ids.length > max ? [ids[0]!, ...ids.slice(ids.length - (max - 1))] : [...ids];
}

export const MessageHeaderSchema = z.object({
  accountId: AccountIdSchema,
  path: FolderPath,
  uid: Uid,
  uidValidity: Uint64StringSchema,
  modseq: Uint64StringSchema.nullable(),
  messageId: z.string().max(1000).nullable(),
  inReplyTo: z.string().max(1000).nullable(),
  references: z.array(z.string().max(1000)).max(500),
  subject: z.string().max(10_000),
  from: z.array(AddressSchema).max(100),
  to: z.array(AddressSchema).max(2000),
  cc: z.array(AddressSchema).max(2000),
  replyTo: z.array(AddressSchema).max(100),
  /** The Date header (ms since epoch), or the internal date when it is missing or absurd. */
  date: z.number(),
  internalDate: z.number(),
  size: z.number().int().nonnegative(),
  flags: z.array(z.string().max(200)).max(100),
  hasAttachments: z.boolean(),
  /** The first words of the text, for the list. */
  preview: z.string().max(500),
});
export type MessageHeader = z.infer<typeof MessageHeaderSchema>;

const FolderRef = { accountId: AccountIdSchema, path: FolderPath, uidValidity: Uint64StringSchema };

export const SyncDeltaSchema = z.discriminatedUnion('kind', [
  /** The account's whole folder list: folders not in it are gone (with their messages). */
  z.object({ kind: z.literal('folders'), accountId: AccountIdSchema, folders: z.array(FolderSchema) }),
  /** New counts for one folder. */
  z.object({
    kind: z.literal('folderStatus'),
    accountId: AccountIdSchema,
    path: FolderPath,
    total: z.number().int().nonnegative(),
    unread: z.number().int().nonnegative(),
  }),
  /** UIDVALIDITY changed (or first sight): drop the folder's cached messages and cursor. */
  z.object({ kind: z.literal('reset'), ...FolderRef }),
  /** Headers to insert or replace. */
  z.object({ kind: z.literal('upsert'), ...FolderRef, messages: z.array(MessageHeaderSchema) }),
  /** New flags for messages already known. */
  z.object({
    kind: z.literal('flags'),
    ...FolderRef,
    changes: z.array(z.object({ uid: Uid, flags: z.array(z.string().max(200)).max(100), modseq: Uint64StringSchema.nullable() })),
  }),
  /** Messages removed from the folder (EXPUNGE, VANISHED, moved away). */
  z.object({ kind: z.literal('expunge'), ...FolderRef, uids: z.array(Uid) }),
  /**
   * The exact set of UIDs the folder holds up to `uidNext` (compact, "1:5,9,12:20"):
   * anything cached below uidNext and not in it was expunged.
   */
  z.object({ kind: z.literal('uidset'), ...FolderRef, uids: z.string().max(50_000_000), uidNext: z.number().int() }),
  /** Everything before this delta is applied: store the cursor with it. */
  z.object({ kind: z.literal('cursor'), cursor: FolderCursorSchema }),
  /** How far a folder's sync is (for progress in the UI). */
  z.object({
    kind: z.literal('progress'),
    accountId: AccountIdSchema,
    path: FolderPath,
    synced: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    done: z.boolean(),
  }),
]);
export type SyncDelta = z.infer<typeof SyncDeltaSchema>;

export const SyncBatchSchema = z.object({ seq: z.number().int(), deltas: z.array(SyncDeltaSchema) });
export type SyncBatch = z.infer<typeof SyncBatchSchema>;

export const AttachmentMetaSchema = z.object({
  partId: z.string().max(100),
  filename: z.string().max(1000),
  contentType: z.string().max(255),
  size: z.number().int().nonnegative(),
  contentId: z.string().max(1000).nullable(),
  inline: z.boolean(),
});
export type AttachmentMeta = z.infer<typeof AttachmentMetaSchema>;

export const MessageBodySchema = z.object({
  ...FolderRef,
  uid: Uid,
  html: z.string().nullable(),
  text: z.string().nullable(),
  attachments: z.array(AttachmentMetaSchema),
});
export type MessageBody = z.infer<typeof MessageBodySchema>;

export const syncMethods = {
  /** The renderer's cursors, after every (re)connect: the engine syncs every account from them. */
  'sync.resume': method(z.object({ cursors: z.array(FolderCursorSchema).max(100_000) }).strict(), z.object({})),
  /**
   * The renderer has stored every `sync.deltas` batch up to `seq`. A first sync fetches ahead of
   * the store by a bounded amount (the engine's DeliveryWindow), so the host does not hold the
   * difference.
   */
  'sync.applied': method(z.object({ seq: z.number().int().nonnegative() }).strict(), z.object({})),
  /** Check for new mail now (the person asked, or the network came back). */
  'sync.now': method(z.object({ accountId: AccountIdSchema.optional() }).strict(), z.object({})),
  /** The network came back or the machine woke up: reconnect every account now, not after the backoff. */
  'sync.networkChanged': method(z.object({}).strict(), z.object({})),
  /** A message's body, fetched on demand (opening it). */
  'messages.body': method(
    z.object({ ...FolderRef, uid: Uid }).strict(),
    MessageBodySchema,
  ),
  /**
   * Bodies for offline reading, many of one folder at once. The renderer picks them (newest
   * first, under its size limit); messages gone from the server are simply missing. `sizes`:
   * the messages' RFC822.SIZE as cached, in the order of `uids`; the engine reads a small
   * message whole without asking for its structure first (a wrong size costs time, not data).
   */
  'messages.bodies': method(
    z
      .object({ ...FolderRef, uids: z.array(Uid).min(1).max(200), sizes: z.array(z.number().int().nonnegative()).max(200).optional() })
      .strict()
      .refine((p) => p.sizes === undefined || p.sizes.length === p.uids.length, { message: 'sizes must match uids', path: ['sizes'] }),
    z.object({ bodies: z.array(MessageBodySchema) }),
  ),
} as const;

export const syncEvents = {
  'sync.deltas': event(z.object({}).strict(), SyncBatchSchema),
} as const;
