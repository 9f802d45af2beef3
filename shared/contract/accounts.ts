import { z } from 'zod';
import { ErrorDataSchema } from '../errors';
import { event, method } from './define';

const Host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]_-]+$/, 'a host name or IP address');
const Port = z.number().int().min(1).max(65535);
export const EmailSchema = z.string().trim().max(320).email();
export const AccountIdSchema = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/);

/** TLS from the first byte; STARTTLS upgrade (required); or none, only after an explicit choice. */
export const SecuritySchema = z.enum(['tls', 'starttls', 'none']);
export type Security = z.infer<typeof SecuritySchema>;

export const ServerSettingsSchema = z.object({
  host: Host,
  port: Port,
  security: SecuritySchema,
  username: z.string().min(1).max(320),
});
export type ServerSettings = z.infer<typeof ServerSettingsSchema>;

/** A certificate the person chose to trust for one host and port (SHA-256 of the DER). */
export const CertificatePinSchema = z.object({
  host: Host,
  port: Port,
  fingerprint256: z.string().regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, 'a SHA-256 fingerprint like AB:CD:...'),
  /** The certificate itself (PEM), so it can be trusted as its own anchor; the engine checks it matches. */
  certPem: z.string().max(20_000).regex(/^-----BEGIN CERTIFICATE-----/),
});
export type CertificatePin = z.infer<typeof CertificatePinSchema>;

/** How the account signs in. OAuth2 is a seam for now: its flow comes later. */
export const AuthMethodSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('password') }),
  z.object({ method: z.literal('oauth2'), provider: z.string().min(1).max(64) }),
]);

export const IdentitySchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().max(200),
  email: EmailSchema,
  signature: z.string().max(20_000).default(''),
});
export type Identity = z.infer<typeof IdentitySchema>;

export const AccountColorSchema = z.string().regex(/^#[0-9a-fA-F]{6}$/);

/** What the person sets up; no secrets, ever (passwords travel only in the calls that set them). */
export const AccountDraftSchema = z.object({
  label: z.string().trim().min(1).max(100),
  name: z.string().trim().max(200),
  email: EmailSchema,
  auth: AuthMethodSchema.default({ method: 'password' }),
  imap: ServerSettingsSchema,
  smtp: ServerSettingsSchema,
  pins: z.array(CertificatePinSchema).max(8).default([]),
  color: AccountColorSchema.optional(),
});
export type AccountDraft = z.infer<typeof AccountDraftSchema>;
export type AccountDraftIn = z.input<typeof AccountDraftSchema>;

export const AccountSchema = AccountDraftSchema.extend({
  id: AccountIdSchema,
  color: AccountColorSchema,
  order: z.number().int(),
  identities: z.array(IdentitySchema).min(1),
  /** SMTP uses its own password (otherwise IMAP's). */
  separateSmtpPassword: z.boolean(),
  createdAt: z.number(),
});
export type Account = z.infer<typeof AccountSchema>;

export const PasswordSchema = z.string().min(1).max(1024);

/** Where a discovered configuration came from, most reliable first. */
export const DiscoverySourceSchema = z.enum(['provider', 'autoconfig', 'srv', 'guess']);
export type DiscoverySource = z.infer<typeof DiscoverySourceSchema>;

export const DiscoveredConfigSchema = z.object({
  source: DiscoverySourceSchema,
  /** Where exactly (the provider's name, the autoconfig URL, the SRV name). */
  from: z.string(),
  displayName: z.string().optional(),
  imap: ServerSettingsSchema,
  smtp: ServerSettingsSchema,
  /** Set when the servers lie outside the address's domain: ask the person first. */
  confirmHosts: z.array(z.string()).default([]),
});
export type DiscoveredConfig = z.infer<typeof DiscoveredConfigSchema>;

export const CheckResultSchema = z.union([
  z.object({ ok: z.literal(true), detail: z.string().optional() }),
  z.object({ ok: z.literal(false), error: ErrorDataSchema }),
]);
export type CheckResult = z.infer<typeof CheckResultSchema>;

export const VerifyResultSchema = z.object({ imap: CheckResultSchema, smtp: CheckResultSchema });
export type VerifyResult = z.infer<typeof VerifyResultSchema>;

const Secrets = {
  password: PasswordSchema,
  /** Only when SMTP needs a different password from IMAP. */
  smtpPassword: PasswordSchema.optional(),
};

export const AccountPatchSchema = z
  .object({
    label: z.string().trim().min(1).max(100),
    name: z.string().trim().max(200),
    color: AccountColorSchema,
    identities: z.array(IdentitySchema).min(1).max(50),
    imap: ServerSettingsSchema,
    smtp: ServerSettingsSchema,
    pins: z.array(CertificatePinSchema).max(8),
  })
  .partial()
  .strict();

export const AccountStatusSchema = z.object({
  accountId: AccountIdSchema,
  state: z.enum(['connecting', 'online', 'offline', 'error']),
  error: ErrorDataSchema.optional(),
  /** When the engine tries again after an error (ms since epoch). */
  retryAt: z.number().optional(),
});
export type AccountStatus = z.infer<typeof AccountStatusSchema>;

export const accountMethods = {
  /** Finds server settings for an address: provider table, autoconfig, SRV, guesses. */
  'accounts.discover': method(
    z.object({ email: EmailSchema }).strict(),
    z.object({ configs: z.array(DiscoveredConfigSchema) }),
  ),
  /** Logs in to IMAP and authenticates to SMTP with these settings; saves nothing. */
  'accounts.verify': method(z.object({ draft: AccountDraftSchema, ...Secrets }).strict(), VerifyResultSchema),
  /** Verifies, then saves. `force` saves even when a check failed, as the person chose. */
  'accounts.add': method(
    z.object({ draft: AccountDraftSchema, ...Secrets, force: z.boolean().default(false) }).strict(),
    z.union([
      z.object({ saved: z.literal(true), account: AccountSchema, verify: VerifyResultSchema.optional() }),
      z.object({ saved: z.literal(false), verify: VerifyResultSchema }),
    ]),
  ),
  'accounts.list': method(z.object({}).strict(), z.object({ accounts: z.array(AccountSchema) })),
  /** Changing servers or pins re-verifies with the stored password before saving. */
  'accounts.update': method(
    z.object({ id: AccountIdSchema, patch: AccountPatchSchema, force: z.boolean().default(false) }).strict(),
    z.union([
      z.object({ saved: z.literal(true), account: AccountSchema }),
      z.object({ saved: z.literal(false), verify: VerifyResultSchema }),
    ]),
  ),
  'accounts.setPassword': method(
    z.object({ id: AccountIdSchema, ...Secrets, force: z.boolean().default(false) }).strict(),
    z.union([z.object({ saved: z.literal(true) }), z.object({ saved: z.literal(false), verify: VerifyResultSchema })]),
  ),
  'accounts.remove': method(z.object({ id: AccountIdSchema }).strict(), z.object({ removed: z.boolean() })),
  'accounts.reorder': method(z.object({ ids: z.array(AccountIdSchema).max(100) }).strict(), z.object({})),
} as const;

export const accountEvents = {
  /** The full account list, now and after every change. */
  'accounts.changed': event(z.object({}).strict(), z.object({ accounts: z.array(AccountSchema) })),
  /** Connection state per account, now and on every change. */
  'accounts.status': event(z.object({}).strict(), z.object({ statuses: z.array(AccountStatusSchema) })),
} as const;
