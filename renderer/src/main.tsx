import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { SyncProvider } from './app/sync-context';
import { BodyPrefetcher, offlineLimitBytes, petrelDb, startSync } from './db';
import { DbProvider } from './db/db-context';
import { createEngineConnection } from './ipc/connect';
import { EngineProvider } from './ipc/engine-context';
import { ComposeProvider } from './features/compose';
import { OpsProvider, pendingOpsOverlay, respondedDraft, startOps } from './ops';
import { OutboxProvider, startOutbox } from './outbox';
import { contactBook, startContactIndexer } from './contacts';
import './styles.css';

const engine = createEngineConnection();
const db = petrelDb();
// The store follows the engine from the first moment: deltas in, cursors out on every reconnect.
// Operations not yet confirmed by the server hold their change through every batch.
const sync = startSync(db, engine, { afterDeltas: pendingOpsOverlay });
// Message actions: applied locally at once, then run on the server, in order, across reconnects.
const ops = startOps(db, engine, { settled: () => sync.applied(), onConflict: () => sync.resync() });
// Queued mail goes out as soon as the engine and the account can take it, across restarts.
// A reply or forward, once the server took it, marks its original (through the operations).
const outbox = startOutbox(engine, undefined, {
  onSent: (entry) => {
    const target = entry.content.respondsTo;
    if (target) void ops.run(respondedDraft(target)).catch((e: unknown) => console.warn('could not mark the original', e));
  },
});
// Every cached message readable offline: bodies download in the background, newest first.
new BodyPrefetcher(db, engine, { maxMessageBytes: offlineLimitBytes() }).start();
// Addresses seen in mail, for autocomplete: indexed in the background as messages arrive.
startContactIndexer(db, { onIndexed: () => contactBook(db).invalidate() });
// `window.petrelBenchmarkContacts(n)` for the benchmark suite (loaded on first call).
(globalThis as { petrelBenchmarkContacts?: unknown }).petrelBenchmarkContacts ??= async (n?: number) =>
  (await import('./contacts/bench')).benchmarkContacts(n);
// Reconnect at once when the network comes back rather than waiting out the backoff.
// The engine's own connections too: a laptop back online should not wait out a backoff.
window.addEventListener('online', () => {
  engine.retryNow();
  engine.call('sync.networkChanged', {}).catch(() => undefined);
});

const root = document.getElementById('root');
if (!root) throw new Error('missing #root');
createRoot(root).render(
  <StrictMode>
    <EngineProvider value={engine}>
      <DbProvider value={db}>
        <SyncProvider value={sync}>
          <OpsProvider value={ops}>
            <OutboxProvider value={outbox}>
              <ComposeProvider>
                <App />
              </ComposeProvider>
            </OutboxProvider>
          </OpsProvider>
        </SyncProvider>
      </DbProvider>
    </EngineProvider>
  </StrictMode>,
);
