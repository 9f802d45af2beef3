import { useEffect, useState } from 'react';
import { useConnectionState, useEngine } from '../../ipc/engine-context';

/** Seconds until `at`, re-rendered each second while counting. */
function useSecondsUntil(at: number | undefined): number | undefined {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (at === undefined) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [at]);
  return at === undefined ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The engine connection as a compact status line, with a retry button when down. */
export function ConnectionStatus() {
  const state = useConnectionState();
  const engine = useEngine();
  const seconds = useSecondsUntil(state.status === 'disconnected' ? state.retryAt : undefined);
  const label =
    state.status === 'connected'
      ? 'Connected'
      : state.status === 'connecting'
        ? 'Connecting…'
        : state.status === 'refused'
          ? 'Access refused'
          : seconds && seconds > 0
            ? `Offline · retrying in ${seconds} s`
            : 'Offline · retrying…';
  return (
    <div className="conn" data-status={state.status}>
      <span className="conn-dot" aria-hidden="true" />
      <span role="status" aria-live="polite" aria-label={`Engine connection: ${label}`} data-testid="connection-status">
        {label}
      </span>
      {state.status === 'disconnected' && (
        <button type="button" className="link-button" onClick={() => engine.retryNow()}>
          Retry now
        </button>
      )}
    </div>
  );
}

/** A banner across the app when the engine cannot be reached, saying what to do. */
export function ConnectionBanner() {
  const state = useConnectionState();
  if (state.status === 'connected' || (state.status === 'connecting' && state.attempt === 0)) return null;
  const text =
    state.status === 'refused'
      ? state.error?.message
      : 'Petrel’s engine is not reachable. Your cached mail stays readable; changes are kept and sent when it is back.';
  return (
    <div className={`banner banner-${state.status === 'refused' ? 'error' : 'warn'}`} role="alert">
      {text}
    </div>
  );
}
