/**
 * The renderer's mail store. The UI reads through the queries (with liveQuery /
 * useLiveQuery) and never writes mail state: that comes from sync deltas and from
 * operations (renderer/src/ops). `putBody` only caches a fetched body.
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
  type OpRecord,
  type OpState,
  type OpUndo,
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
export { applyBatch, folderId, type ApplyOptions, type ApplyResult, type BatchHook, type ProgressDelta } from './apply-deltas';
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
export { BodyPrefetcher, offlineLimitBytes, OFFLINE_LIMIT_KEY, type PrefetchConnection, type PrefetchOptions } from './body-prefetch';
export {
  conversationOf,
  conversationsOf,
  trashAndJunk,
  rowKey,
  normalizeSubject,
  MAX_CONVERSATION,
  type ConversationOptions,
} from './conversations';
