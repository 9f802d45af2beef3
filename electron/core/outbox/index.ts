export { OutboxService, CRASH_AFTER_SUBMIT_ENV, defaultServerFilesSent, type OutboxServiceDeps, type OutboxAccounts } from './service';
export { SubmissionJournal, JOURNAL_FILE, type JournalEntry } from './journal';
export { buildMessage, newMessageId, messageIdOf } from './compose';
export { htmlToText } from './html-to-text';
