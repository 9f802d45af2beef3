import { createContext, useContext } from 'react';
import type { OpsRunner } from './runner';

const OpsContext = createContext<OpsRunner | null>(null);
export const OpsProvider = OpsContext.Provider;

export function useOps(): OpsRunner {
  const ops = useContext(OpsContext);
  if (!ops) throw new Error('useOps outside OpsProvider');
  return ops;
}
