import { useState, type FormEvent } from 'react';
import type { Account, Identity, ServerSettings, VerifyResult } from '../../../../shared/contract';
import { ServerFields } from './ServerFields';
import { Dialog } from '../../components/Dialog';
import { useEngine } from '../../ipc/engine-context';
import { VerifyReport } from './VerifyReport';

/**
 * One account's settings: name, colour, identities, servers (re-verified before saving),
 * password, order among the accounts, and removal.
 */
export function AccountSettingsDialog(props: { account: Account; accounts?: readonly Account[]; onClose: () => void }) {
  const engine = useEngine();
  const { account } = props;
  const [label, setLabel] = useState(account.label);
  const [name, setName] = useState(account.name);
  const [color, setColor] = useState(account.color);
  const [password, setPassword] = useState('');
  const [verify, setVerify] = useState<VerifyResult | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [busy, setBusy] = useState(false);
  const [identities, setIdentities] = useState<Identity[]>(account.identities);
  const [servers, setServers] = useState<{ imap: ServerSettings; smtp: ServerSettings }>({
    imap: account.imap,
    smtp: account.smtp,
  });
  const [serverVerify, setServerVerify] = useState<VerifyResult | null>(null);

  const run = async (job: () => Promise<void>) => {
    setBusy(true);
    setMessage(null);
    try {
      await job();
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const saveDetails = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await engine.call('accounts.update', { id: account.id, patch: { label, name, color, identities } });
      props.onClose();
    });
  };

  const saveServers = (force = false) =>
    run(async () => {
      const res = await engine.call('accounts.update', { id: account.id, patch: servers, force });
      if (res.saved) {
        setServerVerify(null);
        setMessage('Server settings saved.');
      } else setServerVerify(res.verify);
    });

  const move = (delta: -1 | 1) =>
    run(async () => {
      const ids = (props.accounts ?? []).map((a) => a.id);
      const at = ids.indexOf(account.id);
      const to = at + delta;
      if (at < 0 || to < 0 || to >= ids.length) return;
      [ids[at], ids[to]] = [ids[to]!, ids[at]!];
      await engine.call('accounts.reorder', { ids });
    });

  const setIdentity = (i: number, patch: Partial<Identity>) =>
    setIdentities((list) => list.map((x, j) => (j === i ? { ...x, ...patch } : x)));

  const savePassword = (force = false) =>
    run(async () => {
      const res = await engine.call('accounts.setPassword', { id: account.id, password, force });
      if (res.saved) {
        setVerify(null);
        setPassword('');
        setMessage('Password saved.');
      } else setVerify(res.verify);
    });

  const remove = () =>
    run(async () => {
      await engine.call('accounts.remove', { id: account.id });
      props.onClose();
    });

  return (
    <Dialog title={`Account settings — ${account.email}`} onClose={props.onClose} wide>
      <form className="form" onSubmit={saveDetails}>
        <label className="field">
          <span>Account name</span>
          <input value={label} onChange={(e) => setLabel(e.target.value)} required maxLength={100} />
        </label>
        <label className="field">
          <span>Your name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
        </label>
        <label className="field field-inline">
          <span>Colour</span>
          <input type="color" value={color} onChange={(e) => setColor(e.target.value)} aria-label="Account colour" />
        </label>
        <fieldset className="identities">
          <legend>Identities (who you send as)</legend>
          {identities.map((idn, i) => (
            <div key={idn.id} className="identity" aria-label={`Identity ${i + 1}`} role="group">
              <input
                value={idn.name}
                onChange={(e) => setIdentity(i, { name: e.target.value })}
                aria-label={`Identity ${i + 1} name`}
                placeholder="Name"
              />
              <input
                type="email"
                value={idn.email}
                onChange={(e) => setIdentity(i, { email: e.target.value })}
                aria-label={`Identity ${i + 1} address`}
                required
                placeholder="address@example.com"
              />
              <textarea
                value={idn.signature}
                onChange={(e) => setIdentity(i, { signature: e.target.value })}
                aria-label={`Identity ${i + 1} signature`}
                placeholder="Signature"
                rows={2}
              />
              {identities.length > 1 && (
                <button
                  type="button"
                  className="link-button"
                  onClick={() => setIdentities((list) => list.filter((_, j) => j !== i))}
                >
                  Remove identity {i + 1}
                </button>
              )}
            </div>
          ))}
          <button
            type="button"
            className="link-button"
            onClick={() =>
              setIdentities((list) => [
                ...list,
                { id: `id-${Date.now().toString(36)}`, name: account.name, email: account.email, signature: '' },
              ])
            }
          >
            Add identity
          </button>
        </fieldset>
        <div className="dialog-actions">
          <button type="submit" className="button" disabled={busy}>
            Save
          </button>
        </div>
      </form>
      <form
        className="form section"
        aria-label="Servers"
        onSubmit={(e) => {
          e.preventDefault();
          void saveServers();
        }}
      >
        <ServerFields
          legend="IMAP"
          value={servers.imap}
          onChange={(imap) => setServers({ ...servers, imap })}
          ports={[993, 143]}
          allowInsecure={servers.imap.security === 'none'}
        />
        <ServerFields
          legend="SMTP"
          value={servers.smtp}
          onChange={(smtp) => setServers({ ...servers, smtp })}
          ports={[587, 465, 2525, 25]}
          allowInsecure={servers.smtp.security === 'none'}
        />
        {serverVerify && <VerifyReport verify={serverVerify} busy={busy} onTrust={() => undefined} />}
        <div className="dialog-actions">
          {serverVerify && (
            <button type="button" className="button button-secondary" onClick={() => void saveServers(true)}>
              Save anyway
            </button>
          )}
          <button type="submit" className="button button-secondary" disabled={busy}>
            Check and save servers
          </button>
        </div>
      </form>
      <form
        className="form section"
        onSubmit={(e) => {
          e.preventDefault();
          void savePassword();
        }}
      >
        <label className="field">
          <span>New password</span>
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
        </label>
        {verify && <VerifyReport verify={verify} busy={busy} onTrust={() => undefined} />}
        <div className="dialog-actions">
          {verify && (
            <button type="button" className="button button-secondary" onClick={() => void savePassword(true)}>
              Save anyway
            </button>
          )}
          <button type="submit" className="button button-secondary" disabled={busy || !password}>
            Change password
          </button>
        </div>
      </form>
      {(props.accounts?.length ?? 0) > 1 && (
        <div className="section row-actions">
          <span className="muted">Order in the sidebar</span>
          <button type="button" className="button button-secondary" onClick={() => void move(-1)} disabled={busy}>
            Move up
          </button>
          <button type="button" className="button button-secondary" onClick={() => void move(1)} disabled={busy}>
            Move down
          </button>
        </div>
      )}
      <div className="section danger">
        {!confirmRemove ? (
          <button type="button" className="button button-danger" onClick={() => setConfirmRemove(true)}>
            Remove account…
          </button>
        ) : (
          <div role="alertdialog" aria-label="Confirm removal" className="confirm">
            <p>
              Remove {account.email} from Petrel? Its cached mail and any changes not yet sent to the server are deleted
              from this computer. Mail on the server is not touched.
            </p>
            <div className="dialog-actions">
              <button type="button" className="button button-secondary" onClick={() => setConfirmRemove(false)}>
                Keep account
              </button>
              <button type="button" className="button button-danger" onClick={() => void remove()} disabled={busy}>
                Remove
              </button>
            </div>
          </div>
        )}
      </div>
      {message && (
        <p role="status" className="muted">
          {message}
        </p>
      )}
    </Dialog>
  );
}
