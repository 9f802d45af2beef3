import { contract, type PetrelContract, type TransportKind } from '../../shared/contract';
import { RpcServer } from '../../shared/ipc/rpc-server';
import { AccountService } from './accounts/service';
import { AccountStore } from './accounts/store';
import { verifyAccount } from './accounts/verify';
import { discover, type DiscoveryOptions } from './accounts/discovery';
import { createLogger, type Logger } from './log';
import { FileSecretStore, type SecretStore } from './secrets/secret-store';
import { registerAccountServices } from './services/accounts';
import { registerAppServices } from './services/app';

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
  }

  async close(): Promise<void> {
    // Connections and timers are closed here as features add them.
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
  return server;
}
