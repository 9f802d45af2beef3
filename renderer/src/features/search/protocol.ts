/**
 * Messages between the UI thread (SearchClient) and the search worker (worker-core.ts).
 * Plain structured-clonable data; both ends are this app's code, so types suffice (no
 * runtime validation on the hot path). Every query carries an id: a newer query supersedes
 * older ones (they answer `cancelled`), so results as you type never arrive out of order.
 */
import type { MessageKey } from '../../db/schema';

/** What the server said for one folder (see `search.server`). */
export interface ServerFolderHits {
  accountId: string;
  path: string;
  uidValidity: string;
  /** Matching UIDs (the newest, when the server found more than it sent). */
  uids: number[];
  /** How many matched on the server in all. */
  total: number;
}

export type ClientMessage =
  /** First message: which database to index ('petrel' in the app). */
  | { type: 'init'; dbName: string }
  | {
      type: 'query';
      id: number;
      /** The query as typed (the worker parses it: see query.ts). */
      text: string;
      offset: number;
      limit: number;
      /** Server hits to merge: those the cache has headers for join the results. */
      server?: ServerFolderHits[];
    }
  | { type: 'cancel'; id: number }
  /** Save the index now (it is saved by itself after changes settle; the benchmark asks). */
  | { type: 'flush' }
  | { type: 'close' };

export interface IndexStatus {
  /** starting: opening the database; indexing: the first scan runs (queries answer from what is indexed). */
  phase: 'starting' | 'indexing' | 'ready' | 'failed';
  /** Messages in the index. */
  indexed: number;
  /** Messages in the database when the scan started (an estimate while indexing). */
  total: number;
  /** Changes with every change of the index: a shown result may be stale. */
  version: number;
  /** How long the first scan took (ms), once done. */
  buildMs: number | null;
  /**
   * The index was loaded from the snapshot of a previous run: answers are complete from the
   * start, and the scan (phase 'indexing') only checks every record for changes since.
   */
  restored: boolean;
  /** How long loading the snapshot took (ms). */
  restoreMs?: number;
  error?: string;
}

export interface SearchPage {
  id: number;
  /** This page's messages, newest first. */
  keys: MessageKey[];
  offset: number;
  /** All results (local matches plus server hits the cache has headers for). */
  total: number;
  /**
   * The total is an upper bound: phrase candidates are checked word by word newest first, as
   * far as the pages asked for so far need; the older ones count unchecked.
   */
  approximate: boolean;
  /** Server hits that were not local matches but are cached (e.g. a word deep in the body): in `total`. */
  serverMerged: number;
  /** Server hits whose headers are not cached yet: not in `total`, shown as a count. */
  serverOnly: number;
  /** The index was still being built: more results may come. */
  indexing: boolean;
  /** Time in the worker, parse to page. */
  tookMs: number;
  /** Problems with the query's operators (the rest ran). */
  errors: string[];
}

export type WorkerMessage =
  | { type: 'status'; status: IndexStatus }
  | { type: 'results'; page: SearchPage }
  | { type: 'cancelled'; id: number }
  /** The answer to `flush`: ms taken, or null without a snapshot store. */
  | { type: 'flushed'; ms: number | null }
  | { type: 'error'; id: number | null; message: string };
