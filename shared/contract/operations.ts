import { z } from 'zod';
import { AccountIdSchema } from './accounts';
import { method } from './define';
import { Uint64StringSchema } from './sync';

/**
 * Message actions as operations. The renderer applies each one to its store at once (the
 * local phase) and hands it to the engine with `ops.run` (the remote phase), which runs it
 * on the account's worker connection ahead of any sync and then syncs the folders it
 * touched, so the deltas confirm it.
 *
 * - Every operation names the folder *and its UIDVALIDITY* the UIDs belong to: when the
 *   folder's UIDVALIDITY is another one now, the UIDs mean other messages, so the engine
 *   refuses with CONFLICT and changes nothing (the renderer drops the op and resyncs).
 * - `opId` is chosen by the renderer and makes retries safe: the engine remembers the
 *   operations it completed recently (see electron/core/sync/op-memo.ts) and answers a
 *   repeated opId with the stored result without running it again. An opId reused for a
 *   different operation is refused (BAD_REQUEST).
 * - Nothing is ever expunged but the operation's own UIDs: removals use UID MOVE (RFC 6851)
 *   or COPY + \Deleted + UID EXPUNGE (UIDPLUS, RFC 4315), never a plain EXPUNGE or CLOSE,
 *   which would also remove messages another program marked \Deleted.
 * - A special folder the operation needs (Trash, Archive, Junk) that the account does not
 *   have is a NOT_FOUND error naming it; nothing is changed then.
 */

export const MAX_OPERATION_UIDS = 10_000;

/** Renderer-chosen, unique per operation (e.g. "op-lx3k9a-5f2c8e1d"). */
export const OpIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,80}$/, '8 to 80 letters, digits, - or _');

const Uid = z.number().int().min(1).max(4_294_967_295);
const FolderPath = z.string().min(1).max(1000);

/**
 * An IMAP flag the person may set: a system flag (\Seen, \Flagged, \Answered, \Draft) or a
 * keyword ($Junk, $NotJunk, $Forwarded...), an atom without spaces or specials. \Recent
 * belongs to the server and \Deleted to the `delete` operation, so neither is accepted.
 */
export const FlagSchema = z
  .string()
  .min(1)
  .max(200)
  // Printable ASCII without the atom-specials ( ) { % * " \ ]; a system flag starts with \.
  .regex(/^\\?(?:(?![(){%*"\\\]])[\x21-\x7e])+$/, 'an IMAP flag or keyword')
  .refine((f) => !/^\\(recent|deleted)$/i.test(f), 'not \\Recent or \\Deleted');

/** Well-known flags and keywords. */
export const Flags = {
  seen: '\\Seen',
  flagged: '\\Flagged',
  /** Answered (RFC 3501) and forwarded (RFC 5788 keyword registry). */
  answered: '\\Answered',
  forwarded: '$Forwarded',
  /** RFC 5788 keyword registry: the message is spam / is not. */
  junk: '$Junk',
  notJunk: '$NotJunk',
} as const;

const target = {
  opId: OpIdSchema,
  accountId: AccountIdSchema,
  /** The folder the messages are in. */
  path: FolderPath,
  /** That folder's UIDVALIDITY, as the renderer's records carry it. */
  uidValidity: Uint64StringSchema,
  uids: z.array(Uid).min(1).max(MAX_OPERATION_UIDS),
};

const FlagsOpSchema = z
  .object({
    kind: z.literal('flags'),
    ...target,
    add: z.array(FlagSchema).max(20).optional(),
    remove: z.array(FlagSchema).max(20).optional(),
  })
  .strict()
  .refine((o) => (o.add?.length ?? 0) + (o.remove?.length ?? 0) > 0, 'flags to add or remove')
  .refine((o) => !(o.add ?? []).some((f) => (o.remove ?? []).some((r) => r.toLowerCase() === f.toLowerCase())), {
    message: 'a flag both added and removed',
  });

const ToFolder = { to: FolderPath };

export const OperationSchema = z.discriminatedUnion('kind', [
  /** Adds and removes flags (UID STORE). */
  FlagsOpSchema,
  /** Moves the messages to another folder of the same account. */
  z
    .object({ kind: z.literal('move'), ...target, ...ToFolder })
    .strict()
    .refine((o) => o.to !== o.path, 'a folder other than the source'),
  /** Copies the messages to another folder of the same account. */
  z
    .object({ kind: z.literal('copy'), ...target, ...ToFolder })
    .strict()
    .refine((o) => o.to !== o.path, 'a folder other than the source'),
  /** Moves the messages to Trash; in Trash itself, deletes them for good. */
  z.object({ kind: z.literal('delete'), ...target }).strict(),
  /** Moves the messages to the Archive folder (\Archive, RFC 6154). */
  z.object({ kind: z.literal('archive'), ...target }).strict(),
  /** Sets $Junk (and clears $NotJunk), then moves the messages to the Junk folder. */
  z.object({ kind: z.literal('spam'), ...target }).strict(),
]);
export type Operation = z.infer<typeof OperationSchema>;
export type OperationIn = z.input<typeof OperationSchema>;
export type OperationKind = Operation['kind'];
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An operation before it has its opId. */
export type OperationDraft = DistributiveOmit<Operation, 'opId'>;

export const OperationResultSchema = z.object({
  opId: OpIdSchema,
  /** The folder the messages went to (move, copy, delete to Trash, archive, spam); null when they stayed. */
  to: FolderPath.nullable(),
  /** The destination's UIDVALIDITY and the new UIDs, where the server said (COPYUID, RFC 4315). */
  toUidValidity: Uint64StringSchema.nullable(),
  /** [source uid, destination uid] pairs; empty when the server did not say. */
  uidMap: z.array(z.tuple([Uid, Uid])).max(MAX_OPERATION_UIDS),
  /**
   * Whether the messages are gone from the source folder on the server: true after a move
   * or a delete for good; false for flags and copy, and where a server without UIDPLUS left
   * them marked \Deleted because expunging would have removed other messages too.
   */
  removed: z.boolean(),
  /** The engine had completed this opId before: this is its stored result. */
  replayed: z.boolean(),
});
export type OperationResult = z.infer<typeof OperationResultSchema>;

export const operationMethods = {
  /**
   * Runs one operation on the server (the remote phase). Errors: CONFLICT (the folder has
   * another UIDVALIDITY now), NOT_FOUND (the folder or the special folder it needs is
   * missing, or the account), DISCONNECTED (the account is offline: retry later),
   * SERVER_ERROR (the server refused), BAD_REQUEST (opId reused for another operation).
   */
  'ops.run': method(z.object({ op: OperationSchema }).strict(), z.object({ result: OperationResultSchema })),
} as const;
