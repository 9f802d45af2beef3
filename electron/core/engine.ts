import { contract, type PetrelContract, type TransportKind } from '../../shared/contract';
import { RpcServer } from '../../shared/ipc/rpc-server';
import { PROTOCOL_VERSION } from '../../shared/ipc/protocol';
import { createLogger, type Logger } from './log';

export interface EngineOptions {
  /** Where settings and (in the Node host) the secrets file live. */
  dataDir: string;
  version: string;
  logger?: Logger;
}

/**
 * The mail engine: plain Node, never `electron`. It owns the mail-server connections
 * and credentials; the renderer holds the only copy of mail (IndexedDB).
 */
export class Engine {
  readonly startedAt = Date.now();
  readonly log: Logger;

  constructor(readonly options: EngineOptions) {
    this.log = options.logger ?? createLogger('engine');
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
  server
    .handle({
      'app.info': () => ({
        name: 'Petrel',
        version: engine.options.version,
        protocolVersion: PROTOCOL_VERSION,
        transport,
        platform: process.platform,
        startedAt: engine.startedAt,
      }),
      'app.ping': ({ text }) => ({ text, receivedAt: Date.now() }),
    })
    .provide({
      'app.heartbeat': ({ intervalMs }, emit) => {
        let seq = 0;
        const timer = setInterval(() => emit({ seq: seq++, at: Date.now() }), intervalMs);
        return () => clearInterval(timer);
      },
    });
  return server;
}
