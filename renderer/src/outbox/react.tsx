import { useLiveQuery } from 'dexie-react-hooks';
import { createContext, useContext } from 'react';
import type { EngineConnection } from '../ipc/connect';
import { localDrafts } from './local-drafts';
import { OutboxRunner, type OutboxRunnerOptions } from './runner';
import { outboxDb, type OutboxDb } from './schema';
import type { LocalDraft, OutboxEntry } from './types';

export interface Outbox {
  db: OutboxDb;
  runner: OutboxRunner;
  stop(): void;
}

/**
 * Starts the outbox for the app: the runner follows the engine connection from the first
 * moment (messages left from the last run are reconciled as soon as the engine answers), and
 * an account coming back online sends its waiting messages at once.
 */
export function startOutbox(engine: EngineConnection, db: OutboxDb = outboxDb(), options: OutboxRunnerOptions = {}): Outbox {
  const runner = new OutboxRunner(db, engine, options).start();
  const last = new Map<string, string>();
  const unsubscribe = engine.subscribe(
    'accounts.status',
    {},
    {
      next: ({ statuses }) => {
        for (const s of statuses) {
          if (s.state === 'online' && last.get(s.accountId) !== 'online') void runner.accountOnline(s.accountId);
          last.set(s.accountId, s.state);
        }
      },
    },
  );
  return {
    db,
    runner,
    stop: () => {
      unsubscribe();
      runner.stop();
    },
  };
}

const OutboxContext = createContext<Outbox | null>(null);
export const OutboxProvider = OutboxContext.Provider;

export function useOutbox(): Outbox {
  const outbox = useContext(OutboxContext);
  if (!outbox) throw new Error('useOutbox outside OutboxProvider');
  return outbox;
}

/** Every outbox entry, oldest first (live). */
export function useOutboxEntries(): OutboxEntry[] | undefined {
  const { db } = useOutbox();
  return useLiveQuery(async () => (await db.outbox.toArray()).sort((a, b) => a.createdAt - b.createdAt), [db]);
}

/** Drafts kept on this device, newest first (live). */
export function useLocalDrafts(): LocalDraft[] | undefined {
  const { db } = useOutbox();
  return useLiveQuery(() => localDrafts(db), [db]);
}
