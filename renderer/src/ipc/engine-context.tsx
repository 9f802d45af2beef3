import { createContext, useContext, useSyncExternalStore } from 'react';
import type { ConnectionState } from '../../../shared/ipc/connection';
import type { EngineConnection } from './connect';

const EngineContext = createContext<EngineConnection | null>(null);

export const EngineProvider = EngineContext.Provider;

export function useEngine(): EngineConnection {
  const engine = useContext(EngineContext);
  if (!engine) throw new Error('useEngine outside EngineProvider');
  return engine;
}

export function useConnectionState(): ConnectionState {
  const engine = useEngine();
  return useSyncExternalStore(
    (notify) => engine.onState(notify),
    () => engine.state,
  );
}
