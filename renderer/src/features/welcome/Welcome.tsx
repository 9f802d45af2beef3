import { useEffect, useState } from 'react';
import type { AppInfo } from '../../../../shared/contract';
import { PetrelError } from '../../../../shared/errors';
import { useConnectionState, useEngine } from '../../ipc/engine-context';

type Check = { kind: 'idle' } | { kind: 'running' } | { kind: 'ok'; ms: number } | { kind: 'error'; message: string };

/** The first screen: what is running, and a check that the engine answers. */
export function Welcome() {
  const engine = useEngine();
  const state = useConnectionState();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [check, setCheck] = useState<Check>({ kind: 'idle' });

  useEffect(() => {
    if (state.status !== 'connected') return;
    const ac = new AbortController();
    engine.call('app.info', {}, { signal: ac.signal }).then(setInfo, () => undefined);
    return () => ac.abort();
  }, [engine, state.status]);

  const runCheck = async () => {
    setCheck({ kind: 'running' });
    const started = performance.now();
    try {
      const res = await engine.call('app.ping', { text: 'hello' }, { timeoutMs: 10_000 });
      if (res.text !== 'hello') throw new PetrelError('INTERNAL', 'The engine answered with the wrong text.');
      setCheck({ kind: 'ok', ms: Math.max(1, Math.round(performance.now() - started)) });
    } catch (e) {
      setCheck({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  };

  return (
    <section className="welcome" aria-labelledby="welcome-title">
      <h1 id="welcome-title">Welcome to Petrel</h1>
      <p className="lede">Fast, offline-first mail for all your accounts.</p>
      <div className="card" aria-label="Engine">
        <h2>Engine</h2>
        <dl className="facts">
          <dt>Version</dt>
          <dd data-testid="engine-version">{info?.version ?? '—'}</dd>
          <dt>Running as</dt>
          <dd>{info ? (info.transport === 'electron' ? 'Desktop app' : 'Browser, served by this machine') : '—'}</dd>
          <dt>Platform</dt>
          <dd>{info?.platform ?? '—'}</dd>
        </dl>
        <div className="row">
          <button
            type="button"
            className="button"
            onClick={() => void runCheck()}
            disabled={state.status !== 'connected' || check.kind === 'running'}
          >
            Test connection
          </button>
          <span role="status" aria-live="polite" data-testid="check-result" className={`check check-${check.kind}`}>
            {check.kind === 'running' && 'Checking…'}
            {check.kind === 'ok' && `The engine answered in ${check.ms} ms.`}
            {check.kind === 'error' && check.message}
          </span>
        </div>
      </div>
    </section>
  );
}
