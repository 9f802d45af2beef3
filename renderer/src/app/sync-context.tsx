import { createContext, useContext } from 'react';
import type { SyncClient } from '../db';

const SyncContext = createContext<SyncClient | null>(null);
export const SyncProvider = SyncContext.Provider;

export function useSync(): SyncClient {
  const sync = useContext(SyncContext);
  if (!sync) throw new Error('useSync outside SyncProvider');
  return sync;
}
