/**
 * Sending, on the engine side: builds messages, submits them over SMTP exactly once (the
 * submission journal makes submit idempotent by Message-ID, across restarts), files the Sent
 * copy, removes the draft it came from; saves and removes drafts.
 *
 * The renderer's outbox (IndexedDB) holds each message until it is sent; this service keeps
 * no copy, only the journal (see journal.ts). A submit for a Message-ID that is already
 * running joins it instead of starting another.
 */
import { join } from 'node:path';
import type {
  Account,
  BuiltMessage,
  ComposeInput,
  DraftRef,
  DraftSaveResult,
  OutboxStatus,
  SubmitParams,
  SubmitResult,
} from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import type { AccountDirectory } from '../accounts/service';
import { SerialQueue } from '../fs/atomic';
import type { Logger } from '../log';
import { mapServerError } from '../net/map-error';
import { buildMessage, identityOf, messageIdOf } from './compose';
import { appendMessage, ensureSpecialFolder, findByMessageId, findSpecialFolder, removeMessage, withImap } from './imap';
import { JOURNAL_FILE, SubmissionJournal, type JournalEntry } from './journal';
import { mapSendError } from './send-errors';
import { SmtpSendError, submitOverSmtp } from './smtp';

/**
 * TEST-ONLY fault injection: with PETREL_TEST_CRASH_AFTER_SUBMIT=1 in its environment the
 * engine's process exits with code 137 (as if killed) right after the journal records that
 * the SMTP server accepted a message — before the Sent copy is made and before the renderer
 * hears about it. The E2E test for "killed after submission" uses it. Inert unless set.
 */
export const CRASH_AFTER_SUBMIT_ENV = 'PETREL_TEST_CRASH_AFTER_SUBMIT';

/** SMTP servers that file every sent message in Sent themselves: a copy would be a duplicate. */
const FILES_SENT_ITSELF = [/(^|\.)gmail\.com$/i, /(^|\.)googlemail\.com$/i, /(^|\.)office365\.com$/i, /(^|\.)outlook\.com$/i];

export function defaultServerFilesSent(account: Account): boolean {
  return FILES_SENT_ITSELF.some((re) => re.test(account.smtp.host));
}

export type OutboxAccounts = AccountDirectory;

export interface OutboxServiceDeps {
  /** Where the submission journal lives (the engine's data dir). */
  dataDir: string;
  accounts: OutboxAccounts;
  log: Logger;
  /**
   * Per account: the server files sent mail in Sent itself, so Petrel makes no copy.
   * Default: a few known providers (Gmail, Outlook/Office 365). A setting can come later.
   */
  serverFilesSent?: (account: Account) => boolean;
  /** Test-only (see CRASH_AFTER_SUBMIT_ENV); default: read from the environment. */
  crashAfterSubmit?: boolean;
  /** How the process ends for crashAfterSubmit (tests replace it). */
  exit?: (code: number) => void;
  timeouts?: { connectMs?: number; socketMs?: number };
  now?: () => number;
}

const smtpRef = (a: Account) => ({ protocol: 'SMTP' as const, host: a.smtp.host, port: a.smtp.port });

export class OutboxService {
  readonly journal: SubmissionJournal;
  private readonly inFlight = new Map<string, Promise<SubmitResult>>();
  private readonly draftQueues = new Map<string, SerialQueue>();
  private readonly crashAfterSubmit: boolean;
  private closed = false;

  constructor(private readonly deps: OutboxServiceDeps) {
    this.journal = new SubmissionJournal(join(deps.dataDir, JOURNAL_FILE), { log: deps.log, now: deps.now });
    this.crashAfterSubmit = deps.crashAfterSubmit ?? process.env[CRASH_AFTER_SUBMIT_ENV] === '1';
    if (this.crashAfterSubmit) {
      deps.log.warn(`${CRASH_AFTER_SUBMIT_ENV}=1: TEST-ONLY fault injection is on; the process exits after each SMTP submission`);
    }
  }

  /** Builds a message to send (Bcc only in the envelope). */
  async build(input: ComposeInput): Promise<BuiltMessage> {
    const account = await this.deps.accounts.get(input.accountId);
    const identity = identityOf(account, input.identityId);
    const built = await buildMessage(input, { name: identity.name, address: identity.email });
    return {
      messageId: built.messageId,
      raw: built.raw.toString('base64'),
      size: built.raw.length,
      envelope: built.envelope,
      date: built.date,
    };
  }

  /** Submits once per Message-ID; see the contract (shared/contract/outbox.ts). */
  submit(params: SubmitParams): Promise<SubmitResult> {
    const running = this.inFlight.get(params.messageId);
    if (running) return running;
    if (this.closed) return Promise.reject(new PetrelError('CANCELLED', 'Petrel is shutting down; the message stays in the Outbox.'));
    const run = this.runSubmit(params).finally(() => this.inFlight.delete(params.messageId));
    this.inFlight.set(params.messageId, run);
    return run;
  }

  async status(accountId: string, messageId: string): Promise<OutboxStatus> {
    const entry = await this.journal.get(messageId);
    const inFlight = this.inFlight.has(messageId);
    if (entry?.state === 'filed') return { journal: entry.state, inFlight, inSent: entry.filedInSent ?? null };
    let inSent: boolean | null = null;
    try {
      inSent = await this.lookInSent(await this.deps.accounts.get(accountId), messageId);
    } catch (e) {
      this.deps.log.warn(`could not search Sent for a message of ${accountId}`, e instanceof PetrelError ? e.code : e);
    }
    return { journal: entry?.state ?? null, inFlight, inSent };
  }

  async saveDraft(message: ComposeInput, replaces: DraftRef | undefined): Promise<DraftSaveResult> {
    return this.draftQueue(message.accountId).run(async () => {
      const account = await this.deps.accounts.get(message.accountId);
      if (replaces && replaces.accountId !== account.id) throw new PetrelError('BAD_REQUEST', 'The draft to replace belongs to another account.');
      const identity = identityOf(account, message.identityId);
      const built = await buildMessage(message, { name: identity.name, address: identity.email }, { draft: true });
      const secrets = await this.deps.accounts.secretsOf(account);
      return withImap(
        account,
        secrets.password,
        this.deps.log,
        async (client) => {
          const drafts = await ensureSpecialFolder(client, 'drafts', 'Drafts');
          const saved = await appendMessage(client, drafts, built.raw, ['\\Draft', '\\Seen'], built.messageId);
          // Only once the new version is safe: the old one goes.
          if (replaces && !(replaces.path === saved.path && replaces.uid === saved.uid && replaces.uidValidity === saved.uidValidity)) {
            await removeMessage(client, replaces.path, replaces.uidValidity, replaces.uid).catch((e: unknown) =>
              this.deps.log.warn('could not remove the previous version of a draft', e),
            );
          }
          return { accountId: account.id, path: saved.path, uid: saved.uid, uidValidity: saved.uidValidity, messageId: built.messageId };
        },
        this.deps.timeouts,
      );
    });
  }

  async removeDraft(ref: DraftRef): Promise<boolean> {
    return this.draftQueue(ref.accountId).run(async () => {
      const account = await this.deps.accounts.get(ref.accountId);
      const secrets = await this.deps.accounts.secretsOf(account);
      return withImap(account, secrets.password, this.deps.log, (client) => removeMessage(client, ref.path, ref.uidValidity, ref.uid), this.deps.timeouts);
    });
  }

  /** Stops taking submits and waits (a while) for those running, so none is cut off mid-DATA. */
  async close(waitMs = 30_000): Promise<void> {
    this.closed = true;
    const running = [...this.inFlight.values()].map((p) => p.catch(() => undefined));
    if (running.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(running), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }

  // -------------------------------------------------------------------------------------

  private async runSubmit(p: SubmitParams): Promise<SubmitResult> {
    const account = await this.deps.accounts.get(p.accountId);
    const raw = Buffer.from(p.raw, 'base64');
    const headerId = messageIdOf(raw);
    if (headerId !== p.messageId) {
      throw new PetrelError('BAD_REQUEST', 'The message does not carry the Message-ID it was submitted under.');
    }
    let entry = await this.journal.get(p.messageId);

    if (entry?.state === 'submitting' && !p.resend) {
      // The last attempt died while the body was going out. Sent may tell (servers that file
      // sent mail themselves); otherwise only the person can decide.
      const inSent = await this.lookInSent(account, p.messageId).catch(() => null);
      if (inSent) {
        this.deps.log.info(`message found in Sent after an interrupted submission; not sending again (${account.id})`);
        entry = await this.journal.set(p.messageId, { accountId: account.id, state: 'submitted', rejected: [] });
      } else {
        throw uncertain(account);
      }
    }

    if (!entry || entry.state === 'submitting') {
      entry = await this.sendOverSmtp(account, p, raw, entry);
      if (this.crashAfterSubmit) {
        this.deps.log.warn(`${CRASH_AFTER_SUBMIT_ENV}: exiting with 137 after the submission (test-only fault injection)`);
        (this.deps.exit ?? ((code: number) => process.exit(code)))(137);
      }
    }

    if (entry.state === 'submitted') {
      try {
        const { filedInSent, draftRemoved } = await this.fileAndTidy(account, p, raw);
        entry = await this.journal.set(p.messageId, { accountId: account.id, state: 'filed', filedInSent, draftRemoved });
      } catch (e) {
        const error = e instanceof PetrelError ? e : mapServerError(e, { protocol: 'IMAP', host: account.imap.host, port: account.imap.port });
        this.deps.log.warn(`sent, but the Sent copy failed (${account.id})`, error.code);
        return { state: 'submitted', filedInSent: false, rejected: entry.rejected ?? [], sentCopyError: error.toData(), draftRemoved: false };
      }
    } else if (p.draft && !entry.draftRemoved) {
      // Done before, but the draft was left (or this is the first time we hear of it).
      const draftRemoved = await this.removeDraftQuietly(p.draft);
      if (draftRemoved) entry = await this.journal.set(p.messageId, { accountId: entry.accountId, state: 'filed', draftRemoved });
    }
    return {
      state: 'sent',
      filedInSent: entry.filedInSent ?? false,
      rejected: entry.rejected ?? [],
      draftRemoved: entry.draftRemoved ?? false,
    };
  }

  private async sendOverSmtp(account: Account, p: SubmitParams, raw: Buffer, before: JournalEntry | undefined): Promise<JournalEntry> {
    const secrets = await this.deps.accounts.secretsOf(account);
    try {
      const outcome = await submitOverSmtp({
        server: account.smtp,
        pins: account.pins,
        password: secrets.smtpPassword ?? secrets.password,
        envelope: p.envelope,
        raw,
        timeouts: this.deps.timeouts,
        // On disk before the first byte of the body leaves.
        beforeBody: async () => {
          await this.journal.set(p.messageId, { accountId: account.id, state: 'submitting' });
        },
      });
      const entry = await this.journal.set(p.messageId, { accountId: account.id, state: 'submitted', rejected: outcome.rejected });
      this.deps.log.info(
        `submitted to ${account.smtp.host} (${account.id}): ${outcome.accepted.length} accepted, ${outcome.rejected.length} refused`,
      );
      return entry;
    } catch (e) {
      const failure = e instanceof SmtpSendError ? e : new SmtpSendError(e, false, false);
      if (failure.uncertain) {
        this.deps.log.warn(`submission outcome unknown (${account.id}); leaving it to the person`, (failure.cause as { code?: unknown })?.code);
        throw uncertain(account);
      }
      // A clear failure. If this attempt recorded 'submitting' the server has refused the
      // body: nothing was sent. An earlier uncertain attempt stays uncertain.
      if (failure.bodyStarted && before?.state !== 'submitting') await this.journal.delete(p.messageId);
      const error = mapSendError(failure.cause, smtpRef(account));
      this.deps.log.warn(`sending failed (${account.id}): ${error.code}`);
      throw error;
    }
  }

  /** Appends to Sent (unless the server does that, or it is not wanted) and removes the draft. */
  private async fileAndTidy(account: Account, p: SubmitParams, raw: Buffer): Promise<{ filedInSent: boolean; draftRemoved: boolean }> {
    const wantCopy = p.saveToSent && !(this.deps.serverFilesSent ?? defaultServerFilesSent)(account);
    if (!wantCopy && !p.draft) return { filedInSent: false, draftRemoved: false };
    const secrets = await this.deps.accounts.secretsOf(account);
    return withImap(
      account,
      secrets.password,
      this.deps.log,
      async (client) => {
        let filedInSent = false;
        if (wantCopy) {
          const sent = await ensureSpecialFolder(client, 'sent', 'Sent');
          // The server may have filed it, or an earlier attempt got this far before a crash.
          const already = await findByMessageId(client, sent, p.messageId);
          if (already.length === 0) await appendMessage(client, sent, raw, ['\\Seen'], p.messageId);
          filedInSent = true;
        }
        let draftRemoved = false;
        if (p.draft) {
          const d = p.draft;
          draftRemoved = await removeMessage(client, d.path, d.uidValidity, d.uid).catch((e: unknown) => {
            this.deps.log.warn('could not remove the draft of a sent message', e);
            return false;
          });
        }
        return { filedInSent, draftRemoved };
      },
      this.deps.timeouts,
    );
  }

  private async removeDraftQuietly(ref: DraftRef): Promise<boolean> {
    try {
      return await this.removeDraft(ref);
    } catch (e) {
      this.deps.log.warn('could not remove the draft of a sent message', e instanceof PetrelError ? e.code : e);
      return false;
    }
  }

  /** Whether Sent holds the Message-ID (false when there is no Sent folder). */
  private async lookInSent(account: Account, messageId: string): Promise<boolean> {
    const secrets = await this.deps.accounts.secretsOf(account);
    return withImap(
      account,
      secrets.password,
      this.deps.log,
      async (client) => {
        const sent = await findSpecialFolder(client, 'sent');
        return sent !== null && (await findByMessageId(client, sent, messageId)).length > 0;
      },
      this.deps.timeouts,
    );
  }

  private draftQueue(accountId: string): SerialQueue {
    let q = this.draftQueues.get(accountId);
    if (!q) this.draftQueues.set(accountId, (q = new SerialQueue()));
    return q;
  }
}

function uncertain(account: Account): PetrelError {
  return new PetrelError(
    'SEND_UNCERTAIN',
    `The connection to ${account.smtp.host} broke just after the message went out, so it may have been sent. Petrel found no copy in Sent. Send it again, or don't.`,
  );
}
