import type { PetrelContract, TransportKind } from '../../../shared/contract';
import { PROTOCOL_VERSION } from '../../../shared/ipc/protocol';
import type { RpcServer } from '../../../shared/ipc/rpc-server';
import type { Engine } from '../engine';

export function registerAppServices(server: RpcServer<PetrelContract>, engine: Engine, transport: TransportKind): void {
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
}
