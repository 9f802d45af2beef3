/**
 * The renderer's mail store. The UI reads through the queries (with liveQuery /
 * useLiveQuery) and never writes mail state: that comes from sync deltas (and, later,
 * operations). `putBody` only caches a fetched body.
 */
export {
  PetrelDb,
  petrelDb,
  isInboxPath,
  messageKey,
  folderKey,
  DEFAULT_DB_NAME,
  type Bit,
  type FolderKey,
  type MessageKey,
  type FolderRecord,
  type MessageRecord,
  type BodyRecord,
  type CursorRecord,
} from './schema';
export {
  foldersOf,
  allFolders,
  folder,
  folderMessages,
  unifiedInbox,
  message,
  messageBody,
  inboxUnread,
  allCursors,
  cursorOf,
  pageCursorOf,
  type PageCursor,
  type PageOptions,
  type UnifiedInboxOptions,
  type InboxUnread,
} from './queries';
export { applyBatch, type ApplyOptions, type ApplyResult, type ProgressDelta } from './apply-deltas';
export { putBody } from './bodies';
export { removeAccount } from './remove-account';
export { parseUidSet, type UidSet } from './uidset';
export {
  SyncClient,
  startSync,
  type SyncClientOptions,
  type SyncClientState,
  type SyncConnection,
  type SyncProgress,
} from './sync-client';
