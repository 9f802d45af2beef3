import type { CertificatePin, CheckResult, VerifyResult } from '../../../../shared/contract';

interface CertFacts {
  host: string;
  port: number;
  subject?: string;
  issuer?: string;
  validFrom?: string;
  validTo?: string;
  fingerprint256: string;
  certPem: string;
}

/** The certificate facts the engine attached to a CERT_UNTRUSTED error, if complete. */
export function certificateOf(result: CheckResult): CertFacts | null {
  if (result.ok || result.error.code !== 'CERT_UNTRUSTED') return null;
  const d = result.error.details ?? {};
  if (typeof d.fingerprint256 !== 'string' || typeof d.certPem !== 'string') return null;
  if (typeof d.host !== 'string' || typeof d.port !== 'number') return null;
  return {
    host: d.host,
    port: d.port,
    subject: typeof d.subject === 'string' ? d.subject : undefined,
    issuer: typeof d.issuer === 'string' ? d.issuer : undefined,
    validFrom: typeof d.validFrom === 'string' ? d.validFrom : undefined,
    validTo: typeof d.validTo === 'string' ? d.validTo : undefined,
    fingerprint256: d.fingerprint256,
    certPem: d.certPem,
  };
}

const fmt = (iso?: string) => (iso ? new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' }) : '—');

/** What each server said, and for an untrusted certificate what the person needs to decide. */
export function VerifyReport(props: { verify: VerifyResult; onTrust: (pin: CertificatePin) => void; busy: boolean }) {
  const rows: [string, CheckResult][] = [
    ['Incoming (IMAP)', props.verify.imap],
    ['Outgoing (SMTP)', props.verify.smtp],
  ];
  return (
    <div className="verify-report">
      {rows.map(([label, r]) => {
        const cert = certificateOf(r);
        return (
          <div key={label} className={`verify-row ${r.ok ? 'ok' : 'bad'}`} data-testid={`verify-${label.includes('IMAP') ? 'imap' : 'smtp'}`}>
            <div className="verify-line">
              <span aria-hidden="true">{r.ok ? '✓' : '!'}</span>
              <strong>{label}:</strong>{' '}
              <span role={r.ok ? undefined : 'alert'}>{r.ok ? 'Signed in.' : r.error.message}</span>
            </div>
            {cert && (
              <div className="cert" aria-label={`Certificate of ${cert.host}`}>
                <dl className="facts">
                  <dt>Server</dt>
                  <dd>
                    {cert.host}:{cert.port}
                  </dd>
                  <dt>Issued to</dt>
                  <dd>{cert.subject || '—'}</dd>
                  <dt>Issued by</dt>
                  <dd>{cert.issuer || '—'}</dd>
                  <dt>Valid</dt>
                  <dd>
                    {fmt(cert.validFrom)} – {fmt(cert.validTo)}
                  </dd>
                  <dt>SHA-256</dt>
                  <dd className="mono" data-testid="cert-fingerprint">
                    {cert.fingerprint256}
                  </dd>
                </dl>
                <button
                  type="button"
                  className="button button-secondary"
                  disabled={props.busy}
                  onClick={() =>
                    props.onTrust({ host: cert.host, port: cert.port, fingerprint256: cert.fingerprint256, certPem: cert.certPem })
                  }
                >
                  Trust this certificate
                </button>
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}
