import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkServerIdentity, rootCertificates, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import type { CertificatePin } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';

/** SHA-256 of a certificate's DER, as "AB:CD:..." (what people compare and what we pin). */
export function fingerprint256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** Throws BAD_REQUEST unless the pin's certificate really has the pin's fingerprint. */
export function checkPin(pin: CertificatePin): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pin.certPem);
  } catch {
    throw new PetrelError('BAD_REQUEST', `The trusted certificate for ${pin.host} is not a valid certificate.`);
  }
  if (cert.fingerprint256 !== pin.fingerprint256) {
    throw new PetrelError('BAD_REQUEST', `The trusted certificate for ${pin.host} does not match its fingerprint.`);
  }
}

let extraCas: string[] | undefined;
/** NODE_EXTRA_CA_CERTS extends Node's default store; an explicit `ca` replaces it, so we add them back. */
function extraCaCerts(): string[] {
  if (extraCas) return extraCas;
  const file = process.env.NODE_EXTRA_CA_CERTS;
  extraCas = [];
  if (file) {
    try {
      extraCas = readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    } catch {
      extraCas = [];
    }
  }
  return extraCas;
}

/**
 * TLS options for one server. Verification is always on. A certificate the person chose
 * to trust (a pin) becomes a trust anchor of its own (allowPartialTrustChain), and its
 * fingerprint then satisfies the host-name check too; any other certificate is judged
 * by the normal rules, so a changed certificate is refused.
 */
export function tlsOptionsFor(host: string, port: number, pins: readonly CertificatePin[]): ConnectionOptions {
  const mine = pins.filter((p) => p.host.toLowerCase() === host.toLowerCase() && p.port === port);
  const base: ConnectionOptions = { rejectUnauthorized: true, minVersion: 'TLSv1.2' };
  if (mine.length === 0) return base;
  for (const p of mine) checkPin(p);
  const pinned = new Set(mine.map((p) => p.fingerprint256));
  return {
    ...base,
    ca: [...rootCertificates, ...extraCaCerts(), ...mine.map((p) => p.certPem)],
    allowPartialTrustChain: true,
    checkServerIdentity: (hostname: string, cert: PeerCertificate) =>
      pinned.has(cert.fingerprint256) ? undefined : checkServerIdentity(hostname, cert),
  };
}

/** Node's codes for a certificate that could not be verified. */
const CERT_ERROR_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

export function isCertificateError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CERT_ERROR_CODES.has(code);
}
