import { createContext, useContext } from 'react';
import type { PetrelDb } from './schema';

const DbContext = createContext<PetrelDb | null>(null);
export const DbProvider = DbContext.Provider;

export function useDb(): PetrelDb {
  const db = useContext(DbContext);
  if (!db) throw new Error('useDb outside DbProvider');
  return db;
}
