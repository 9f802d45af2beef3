export { OutboxDb, outboxDb, OUTBOX_DB_NAME } from './schema';
export { OutboxRunner, isRetryable, recipientsOf, type OutboxConnection, type OutboxRunnerOptions, type SendOptions } from './runner';
export { parseAddresses, formatAddress, type ParsedAddresses } from './addresses';
export { toComposeInput, hasContent, type ContentProblems } from './compose-input';
export { saveLocalDraft, removeLocalDraft, localDraft, localDrafts, newDraftKey } from './local-drafts';
export { undoSeconds, setUndoSeconds, DEFAULT_UNDO_SECONDS, UNDO_SECONDS_KEY } from './settings';
export type { OutboxEntry, OutboxState, ComposerContent, ComposerAttachment, LocalDraft, RespondsTo } from './types';
export { startOutbox, OutboxProvider, useOutbox, useOutboxEntries, useLocalDrafts, type Outbox } from './react';
