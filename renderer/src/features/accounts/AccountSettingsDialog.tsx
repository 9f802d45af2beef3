import { useState, type FormEvent } from 'react';
import type { Account, VerifyResult } from '../../../../shared/contract';
import { Dialog } from '../../components/Dialog';
import { useEngine } from '../../ipc/engine-context';
import { VerifyReport } from './VerifyReport';

/** Name, colour, password and removal of one account. */
export function AccountSettingsDialog(props: { account: Account; onClose: () => void }) {
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
      await engine.call('accounts.update', { id: account.id, patch: { label, name, color } });
      props.onClose();
    });
  };

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
    <Dialog title={`Account settings — ${account.email}`} onClose={props.onClose}>
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
        <div className="dialog-actions">
          <button type="submit" className="button" disabled={busy}>
            Save
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
