import { z } from 'zod';
import { AccountIdSchema } from './accounts';
import { method } from './define';
import { Uint64StringSchema } from './sync';

/**
 * Search on the server, for what the renderer's index cannot answer: folders whose first
 * sync has not finished, and message bodies never opened (the index holds headers, previews
 * and cached bodies). The renderer searches its own index as you type and asks the server
 * for the rest; the engine answers with UIDs (IMAP UID SEARCH on a connection of its own),
 * and the renderer shows those it has headers for and counts the others.
 *
 * The query is structured (the renderer parses the search language): every field is ANDed.
 * Text matches as IMAP does: substrings, case-insensitively, in headers and body (`text`).
 */

/** The most UIDs one answer carries (the highest, i.e. newest); `total` counts them all. */
export const MAX_SERVER_SEARCH_UIDS = 50_000;

const Term = z.string().min(1).max(500);
const Terms = z.array(Term).max(20);
/** A calendar day, YYYY-MM-DD (IMAP compares dates without time, in the server's time zone). */
export const SearchDaySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');

export const ServerSearchQuerySchema = z
  .object({
    /** Each must occur in the headers or the body (IMAP TEXT). */
    text: Terms.optional(),
    from: Terms.optional(),
    /** To or Cc. */
    to: Terms.optional(),
    subject: Terms.optional(),
    /** On or after this day (IMAP SINCE). */
    since: SearchDaySchema.optional(),
    /** Before this day (IMAP BEFORE). */
    before: SearchDaySchema.optional(),
    /** true: only unread; false: only read. */
    unseen: z.boolean().optional(),
    /** true: only starred; false: only not starred. */
    flagged: z.boolean().optional(),
    /**
     * IMAP cannot search for attachments: approximated by a multipart/mixed Content-Type
     * header (true) or its absence (false).
     */
    attachment: z.boolean().optional(),
    /** None of these may occur. */
    not: z
      .object({ text: Terms.optional(), from: Terms.optional(), to: Terms.optional(), subject: Terms.optional() })
      .strict()
      .optional(),
  })
  .strict();
export type ServerSearchQuery = z.infer<typeof ServerSearchQuerySchema>;

export const ServerSearchParamsSchema = z
  .object({
    accountId: AccountIdSchema,
    path: z.string().min(1).max(1000),
    query: ServerSearchQuerySchema,
  })
  .strict();
export type ServerSearchParams = z.infer<typeof ServerSearchParamsSchema>;

export const ServerSearchResultSchema = z.object({
  /** The folder's UIDVALIDITY the UIDs belong to. */
  uidValidity: Uint64StringSchema,
  /** Matching UIDs, highest (newest) first, at most MAX_SERVER_SEARCH_UIDS. */
  uids: z.array(z.number().int().min(1).max(4_294_967_295)).max(MAX_SERVER_SEARCH_UIDS),
  /** How many matched in all (more than `uids.length` when cut). */
  total: z.number().int().nonnegative(),
});
export type ServerSearchResult = z.infer<typeof ServerSearchResultSchema>;

export const searchMethods = {
  /**
   * UID SEARCH in one folder. NOT_FOUND when the folder does not exist; CANCELLED when the
   * caller gave up (a newer query superseded it).
   */
  'search.server': method(ServerSearchParamsSchema, ServerSearchResultSchema),
} as const;
