import { useState, type FormEvent } from 'react';
import type {
  AccountDraftIn,
  CertificatePin,
  DiscoveredConfig,
  ServerSettings,
  VerifyResult,
} from '../../../../shared/contract';
import { PetrelError } from '../../../../shared/errors';
import { Dialog } from '../../components/Dialog';
import { useEngine } from '../../ipc/engine-context';
import { ServerFields } from './ServerFields';
import { VerifyReport } from './VerifyReport';

type Phase = 'identity' | 'discovering' | 'settings' | 'saving' | 'failed';

const SOURCE_TEXT: Record<DiscoveredConfig['source'], string> = {
  provider: 'Petrel’s list of providers',
  autoconfig: 'your provider’s published settings (autoconfig)',
  srv: 'your domain’s DNS service records',
  guess: 'common server names that answered',
};

function guessed(email: string): { imap: ServerSettings; smtp: ServerSettings } {
  const domain = email.split('@')[1] ?? '';
  return {
    imap: { host: `imap.${domain}`, port: 993, security: 'tls', username: email },
    smtp: { host: `smtp.${domain}`, port: 587, security: 'starttls', username: email },
  };
}

/**
 * Adding an account: name, address and password; Petrel finds the servers (showing
 * where it found them), checks both, and saves only when both accept — or when the
 * person explicitly saves anyway. Manual settings are always one click away.
 */
export function AddAccountDialog(props: { onClose: () => void; onAdded: (accountId: string) => void }) {
  const engine = useEngine();
  const [phase, setPhase] = useState<Phase>('identity');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [separateSmtp, setSeparateSmtp] = useState(false);
  const [smtpPassword, setSmtpPassword] = useState('');
  const [servers, setServers] = useState<{ imap: ServerSettings; smtp: ServerSettings } | null>(null);
  const [found, setFound] = useState<DiscoveredConfig | null>(null);
  const [confirmed, setConfirmed] = useState(false);
  const [allowInsecure, setAllowInsecure] = useState(false);
  const [pins, setPins] = useState<CertificatePin[]>([]);
  const [verify, setVerify] = useState<VerifyResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [manual, setManual] = useState(false);

  const insecure = servers !== null && (servers.imap.security === 'none' || servers.smtp.security === 'none');
  const needsConfirm = (found?.confirmHosts.length ?? 0) > 0 && !confirmed;

  const draft = (s: { imap: ServerSettings; smtp: ServerSettings }, withPins: CertificatePin[]): AccountDraftIn => ({
    label: email.trim(),
    name: name.trim(),
    email: email.trim(),
    imap: s.imap,
    smtp: s.smtp,
    pins: withPins,
  });

  const save = async (s: { imap: ServerSettings; smtp: ServerSettings }, withPins: CertificatePin[], force = false) => {
    setPhase('saving');
    setError(null);
    try {
      const res = await engine.call('accounts.add', {
        draft: draft(s, withPins),
        password,
        smtpPassword: separateSmtp && smtpPassword ? smtpPassword : undefined,
        force,
      });
      if (res.saved) {
        props.onAdded(res.account.id);
        return;
      }
      setVerify(res.verify);
      setPhase('failed');
    } catch (e) {
      setError(e instanceof PetrelError || e instanceof Error ? e.message : String(e));
      setPhase('failed');
    }
  };

  const onIdentity = async (e: FormEvent) => {
    e.preventDefault();
    setPhase('discovering');
    setError(null);
    let configs: DiscoveredConfig[] = [];
    try {
      configs = (await engine.call('accounts.discover', { email: email.trim() })).configs;
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
    const best = configs[0] ?? null;
    setFound(best);
    const next = best ? { imap: best.imap, smtp: best.smtp } : guessed(email.trim());
    setServers(next);
    if (best && best.confirmHosts.length === 0) {
      await save(next, pins);
    } else {
      setManual(!best);
      setPhase('settings');
    }
  };

  const onSettings = (e: FormEvent) => {
    e.preventDefault();
    if (servers) void save(servers, pins);
  };

  const trust = (pin: CertificatePin) => {
    const next = [...pins.filter((p) => !(p.host === pin.host && p.port === pin.port)), pin];
    setPins(next);
    if (servers) void save(servers, next);
  };

  const busy = phase === 'discovering' || phase === 'saving';

  return (
    <Dialog title="Add a mail account" onClose={props.onClose} wide>
      {phase === 'identity' || phase === 'discovering' ? (
        <form onSubmit={(e) => void onIdentity(e)} className="form">
          <label className="field">
            <span>Your name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" placeholder="Alice Example" />
          </label>
          <label className="field">
            <span>Email address</span>
            <input
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              autoComplete="email"
              required
              placeholder="alice@example.com"
            />
          </label>
          <label className="field">
            <span>Password</span>
            <input
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="current-password"
              required
            />
          </label>
          <div className="dialog-actions">
            <span role="status" aria-live="polite" className="muted">
              {phase === 'discovering' ? `Looking up the settings for ${email.split('@')[1] ?? email}…` : ''}
            </span>
            <button type="button" className="button button-secondary" onClick={props.onClose}>
              Cancel
            </button>
            <button type="submit" className="button" disabled={busy}>
              Continue
            </button>
          </div>
        </form>
      ) : (
        <form onSubmit={onSettings} className="form">
          {found ? (
            <p className="found" data-testid="discovery-source">
              Found settings in {SOURCE_TEXT[found.source]}
              {found.displayName ? ` for ${found.displayName}` : ''}: <span className="mono">{found.imap.host}</span> and{' '}
              <span className="mono">{found.smtp.host}</span>.
            </p>
          ) : (
            <p className="found">Petrel found no published settings for this address. Enter them below.</p>
          )}
          {found && found.confirmHosts.length > 0 && (
            <label className="check-field warn">
              <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} />
              <span>
                These servers are outside your address’s domain: {found.confirmHosts.join(', ')}. Use them only if your
                provider told you so.
              </span>
            </label>
          )}
          {verify && [verify.imap, verify.smtp].some((r) => !r.ok && r.error.code === 'AUTH_FAILED') && (
            <label className="field">
              <span>Password for {email}</span>
              <input
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                autoComplete="current-password"
                required
              />
            </label>
          )}
          {!manual && (
            <button type="button" className="link-button" onClick={() => setManual(true)}>
              Edit settings manually
            </button>
          )}
          {manual && servers && (
            <>
              <ServerFields
                legend="IMAP"
                value={servers.imap}
                onChange={(imap) => setServers({ ...servers, imap })}
                ports={[993, 143]}
                allowInsecure={allowInsecure}
              />
              <ServerFields
                legend="SMTP"
                value={servers.smtp}
                onChange={(smtp) => setServers({ ...servers, smtp })}
                ports={[587, 465, 2525, 25]}
                allowInsecure={allowInsecure}
              />
              <label className="check-field">
                <input type="checkbox" checked={separateSmtp} onChange={(e) => setSeparateSmtp(e.target.checked)} />
                <span>The outgoing server uses a different password</span>
              </label>
              {separateSmtp && (
                <label className="field">
                  <span>SMTP password</span>
                  <input type="password" value={smtpPassword} onChange={(e) => setSmtpPassword(e.target.value)} required />
                </label>
              )}
              <label className="check-field warn">
                <input type="checkbox" checked={allowInsecure} onChange={(e) => setAllowInsecure(e.target.checked)} />
                <span>Allow unencrypted connections (only on a network you control: your password is sent in the clear)</span>
              </label>
            </>
          )}
          {verify && <VerifyReport verify={verify} onTrust={trust} busy={busy} />}
          {error && (
            <p role="alert" className="error-text">
              {error}
            </p>
          )}
          <div className="dialog-actions">
            <span role="status" aria-live="polite" className="muted">
              {phase === 'saving' ? 'Signing in to both servers…' : ''}
            </span>
            {verify && !busy && (
              <button type="button" className="button button-secondary" onClick={() => servers && void save(servers, pins, true)}>
                Save anyway
              </button>
            )}
            <button type="button" className="button button-secondary" onClick={props.onClose}>
              Cancel
            </button>
            <button type="submit" className="button" disabled={busy || needsConfirm || (insecure && !allowInsecure)}>
              {verify ? 'Try again' : 'Sign in'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
