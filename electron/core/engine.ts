import { join } from 'node:path';
import { contract, type PetrelContract, type TransportKind } from '../../shared/contract';
import { RpcServer } from '../../shared/ipc/rpc-server';
import { AccountService } from './accounts/service';
import { AccountStore } from './accounts/store';
import { verifyAccount } from './accounts/verify';
import { discover, type DiscoveryOptions } from './accounts/discovery';
import { createLogger, type Logger } from './log';
import { FileSecretStore, type SecretStore } from './secrets/secret-store';
import { AttachmentService } from './attachments';
import { registerAccountServices } from './services/accounts';
import { registerAttachmentServices } from './services/attachments';
import { registerAppServices } from './services/app';
import { registerRemoteServices } from './services/remote';
import { registerSearchServices } from './services/search';
import { OutboxService } from './outbox';
import { registerOperationServices } from './services/operations';
import { registerOutboxServices } from './services/outbox';
import { registerSyncServices } from './services/sync';
import { SyncEngine } from './sync';

export interface EngineOptions {
  /** Where settings and (in the Node host) the secrets file live. */
  dataDir: string;
  version: string;
  logger?: Logger;
  /** Electron passes a safeStorage-backed store; the host a 0600 file (the default). */
  secrets?: SecretStore;
  /** Overrides for discovery (tests point autoconfig and DNS at loopback servers). */
  discovery?: DiscoveryOptions;
}

/**
 * The mail engine: plain Node, never `electron`. It owns the mail-server connections
 * and credentials; the renderer holds the only copy of mail (IndexedDB).
 */
export class Engine {
  readonly startedAt = Date.now();
  readonly log: Logger;
  readonly accounts: AccountService;
  readonly sync: SyncEngine;
  readonly outbox: OutboxService;

  constructor(readonly options: EngineOptions) {
    this.log = options.logger ?? createLogger('engine');
    const secrets = options.secrets ?? new FileSecretStore(options.dataDir, undefined, this.log.child('secrets'));
    this.accounts = new AccountService({
      store: new AccountStore(options.dataDir),
      secrets,
      log: this.log.child('accounts'),
      discover: (email) => discover(email, { ...options.discovery, log: (m) => this.log.info(m) }),
      verify: (draft, s) => verifyAccount(draft, s),
    });
    this.sync = new SyncEngine({
      log: this.log.child('sync'),
      opJournalFile: join(options.dataDir, 'operations.json'),
      getAccounts: async () => {
        const list = await this.accounts.list();
        const out = [];
        for (const account of list) {
          try {
            out.push({ account, password: (await this.accounts.secretsOf(account)).password });
          } catch (e) {
            this.log.warn(`account ${account.id} has no usable password`, e);
          }
        }
        return out;
      },
    });
    this.outbox = new OutboxService({ dataDir: options.dataDir, accounts: this.accounts, log: this.log.child('outbox') });
    // Accounts added, edited or removed: connect, reconnect or close their sessions.
    this.accounts.onChange(() => {
      this.sync.accountsChanged().catch((e: unknown) => this.log.error('applying account changes', e));
    });
  }

  private readonly closables: { close(): unknown }[] = [];

  /** Services registered per RPC server that hold connections of their own. */
  onClose(service: { close(): unknown }): void {
    this.closables.push(service);
  }

  async close(): Promise<void> {
    // In-flight sends finish first (bounded), then the sync connections close.
    await this.outbox.close();
    await this.sync.close();
    await Promise.all(this.closables.map((c) => c.close()));
  }
}

/**
 * The composition root: registers the engine's services on an RPC server. The same
 * function serves Electron IPC and the WebSocket host, so both expose one contract.
 */
export function createRpcServer(engine: Engine, transport: TransportKind): RpcServer<PetrelContract> {
  const server = new RpcServer(contract, {
    name: `petrel-engine/${engine.options.version}`,
    onInternalError: (error, where) => engine.log.error(`internal error in ${where}`, error),
  });
  registerAppServices(server, engine, transport);
  registerAccountServices(server, engine.accounts);
  registerSyncServices(server, engine.sync);
  registerOperationServices(server, engine.sync);
  registerRemoteServices(server, engine.log.child('remote'));
  registerOutboxServices(server, engine.outbox);
  engine.onClose(registerSearchServices(server, engine.accounts, engine.log));
  // Attachments on demand: stateless (a short IMAP connection per request), so one per server is fine.
  registerAttachmentServices(server, new AttachmentService({ accounts: engine.accounts, log: engine.log.child('attachments') }));
  return server;
}
