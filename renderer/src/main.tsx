import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { createEngineConnection } from './ipc/connect';
import { EngineProvider } from './ipc/engine-context';
import './styles.css';

const engine = createEngineConnection();
// Reconnect at once when the network comes back rather than waiting out the backoff.
window.addEventListener('online', () => engine.retryNow());

const root = document.getElementById('root');
if (!root) throw new Error('missing #root');
createRoot(root).render(
  <StrictMode>
    <EngineProvider value={engine}>
      <App />
    </EngineProvider>
  </StrictMode>,
);
