import type { Security, ServerSettings } from '../../../../shared/contract';

const SECURITY_LABEL: Record<Security, string> = {
  tls: 'TLS',
  starttls: 'STARTTLS',
  none: 'None (unencrypted)',
};

/** Host, port, security and user name of one server, with the unencrypted choice guarded. */
export function ServerFields(props: {
  legend: 'IMAP' | 'SMTP';
  value: ServerSettings;
  onChange: (next: ServerSettings) => void;
  ports: number[];
  allowInsecure: boolean;
}) {
  const { value, onChange, legend } = props;
  const id = legend.toLowerCase();
  return (
    <fieldset className="server-fields">
      <legend>{legend === 'IMAP' ? 'Incoming mail (IMAP)' : 'Outgoing mail (SMTP)'}</legend>
      <label className="field field-host">
        <span>{legend} server</span>
        <input
          value={value.host}
          onChange={(e) => onChange({ ...value, host: e.target.value.trim() })}
          autoComplete="off"
          spellCheck={false}
          required
          aria-label={`${legend} server`}
        />
      </label>
      <label className="field field-port">
        <span>Port</span>
        <input
          type="number"
          min={1}
          max={65535}
          list={`${id}-ports`}
          value={value.port}
          onChange={(e) => onChange({ ...value, port: Number(e.target.value) })}
          required
          aria-label={`${legend} port`}
        />
        <datalist id={`${id}-ports`}>
          {props.ports.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
      </label>
      <label className="field field-security">
        <span>Security</span>
        <select
          value={value.security}
          onChange={(e) => onChange({ ...value, security: e.target.value as Security })}
          aria-label={`${legend} security`}
        >
          {(['tls', 'starttls', 'none'] as const)
            .filter((s) => s !== 'none' || props.allowInsecure || value.security === 'none')
            .map((s) => (
              <option key={s} value={s}>
                {SECURITY_LABEL[s]}
              </option>
            ))}
        </select>
      </label>
      <label className="field field-user">
        <span>User name</span>
        <input
          value={value.username}
          onChange={(e) => onChange({ ...value, username: e.target.value })}
          autoComplete="off"
          spellCheck={false}
          required
          aria-label={`${legend} user name`}
        />
      </label>
    </fieldset>
  );
}
