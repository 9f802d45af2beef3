/**
 * Real test mail servers for the integration and E2E tests: Dovecot (IMAP, LMTP, auth)
 * and Postfix (submission with SASL through Dovecot, delivery over LMTP to Dovecot),
 * run from a temporary state folder on 127.0.0.1 high ports with a throw-away test CA.
 *
 * Everything this module starts is tracked by the pid files in the state folder, and
 * only those processes are ever stopped. The descriptor (`env.json` in the state folder,
 * pointed to by PETREL_TEST_MAILSERVERS) lets tests, the CLI and other processes drive
 * the same servers: see `loadMailServersFromEnv()` and `attachMailServers()`.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { ensureDebianPackages } from '../../scripts/system-deps';

/** The variable naming the descriptor file of running servers. */
export const MAILSERVERS_ENV_VAR = 'PETREL_TEST_MAILSERVERS';
export const TEST_DOMAIN = 'example.test';
/** The special-use folders every user has, by name. */
export const SPECIAL_USE_FOLDERS = {
  Drafts: '\\Drafts',
  Sent: '\\Sent',
  Trash: '\\Trash',
  Junk: '\\Junk',
  Archive: '\\Archive',
} as const;
export type SpecialFolder = keyof typeof SPECIAL_USE_FOLDERS;
const SPECIAL_FOLDER_NAMES = Object.keys(SPECIAL_USE_FOLDERS) as SpecialFolder[];

/**
 * Dovecot 2.3.19's own post-login capability list (what it advertises when
 * `imap_capability` is unset). Used by `imapCapabilityWithout()`.
 */
export const DOVECOT_IMAP_CAPABILITY =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS ' +
  'THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS ' +
  'LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH ' +
  'LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ ' +
  'NOTIFY SPECIAL-USE';

/** An `imapCapability` value: Dovecot's list minus the given names, e.g. `['IDLE', 'QRESYNC']`. */
export function imapCapabilityWithout(hidden: readonly string[]): string {
  const drop = new Set(hidden.map((c) => c.toUpperCase()));
  return DOVECOT_IMAP_CAPABILITY.split(' ')
    .filter((c) => !drop.has(c.toUpperCase()))
    .join(' ');
}

export interface MailUser {
  /** Short name, e.g. `alice`. */
  name: string;
  /** What to log in with (IMAP and SMTP): the full address. */
  login: string;
  password: string;
  address: string;
}

/** Everything about running servers that survives a process boundary (`env.json`). */
export interface MailServersDescriptor {
  version: 1;
  /** The state folder; everything below lives in it. */
  dir: string;
  caCertPath: string;
  /** The test CA certificate (PEM): trust only this to verify the servers. */
  caCert: string;
  /** The server certificate is for `localhost` and 127.0.0.1 (which it resolves to); the servers listen on 127.0.0.1. */
  host: 'localhost';
  imap: {
    tlsPort: number;
    starttlsPort: number;
    /**
     * Dovecot counts a client whose IP equals the server's (any 127.0.0.1 -> 127.0.0.1
     * connection) as secure, and lets it log in on the plain port without STARTTLS.
     * The IMAP listeners are also on this address, reached from 127.0.0.1, where Dovecot
     * does enforce it (LOGINDISABLED before STARTTLS). The certificate covers it too.
     */
    strictHost: typeof IMAP_STRICT_HOST;
    /**
     * Both IMAP ports on this address present a certificate (for 127.0.0.3) signed by a
     * throwaway CA that no one trusts; `rotateUntrustedCertificate()` replaces it.
     */
    untrustedHost: typeof IMAP_UNTRUSTED_HOST;
  };
  smtp: { submissionPort: number; tlsPort: number };
  users: MailUser[];
  domain: typeof TEST_DOMAIN;
  dovecotConfig: string;
  postfixDir: string;
  logs: { dovecot: string; postfix: string };
}

export interface MailServers extends MailServersDescriptor {
  /** Path of the descriptor file (`<dir>/env.json`). */
  envPath: string;
  /** The user by short name; throws for an unknown one. */
  user(name: string): MailUser;
  /**
   * Empties a user's mailbox between tests: expunges every message, deletes every folder
   * except INBOX and the special-use ones (recreating those if missing) and drops extra
   * subscriptions. Much faster than restarting the servers.
   */
  resetUser(name: string): Promise<void>;
  /** Puts a new certificate from a new untrusted CA on `imap.untrustedHost` (a "changed certificate"). */
  rotateUntrustedCertificate(): Promise<void>;
  /** Stops and starts Dovecot alone, dropping all IMAP connections; optionally with a new capability list (`null` = Dovecot's default). */
  restartDovecot(options?: { imapCapability?: string | null }): Promise<void>;
  /**
   * Stops Postfix alone (only the master this state folder started): SMTP submission is
   * unreachable (connections refused) until `startPostfix()`. Mail already queued stays queued.
   */
  stopPostfix(): Promise<void>;
  /** Starts Postfix again after `stopPostfix()` and waits until both submission ports greet. */
  startPostfix(): Promise<void>;
  /** Runs `doveadm -c <config> ...args` and returns its stdout. */
  doveadm(args: readonly string[], input?: string | Buffer): Promise<string>;
  /** Stops what was started (only that) and removes the state folder unless `keep`. Safe to call twice. */
  stop(options?: { keep?: boolean }): Promise<void>;
}

export interface StartMailServersOptions {
  /** State folder to use (created if missing). Default: a new `/tmp/pm-XXXXXX`. Keep it short: unix socket paths live in it. */
  dir?: string;
  /** Fixed ports; any not given are picked free. */
  ports?: { imapTls?: number; imapStarttls?: number; submission?: number; smtpTls?: number };
  /** Users to create (default alice, bob, carol); the password defaults to `<name>-password`. */
  users?: ReadonlyArray<{ name: string; password?: string }>;
  /** Sets Dovecot's `imap_capability`, e.g. `imapCapabilityWithout(['IDLE', 'CONDSTORE', 'QRESYNC', 'MOVE'])`. */
  imapCapability?: string;
  /** Keep the state folder on stop (and on a failed start) for inspection. */
  keep?: boolean;
  /** How long to wait for the daemons to accept connections. Default 15 s. */
  readyTimeoutMs?: number;
}

const DEFAULT_USERS = ['alice', 'bob', 'carol'];
const IMAP_STRICT_HOST = '127.0.0.2';
/** IMAP on this address presents a certificate from a CA nobody trusts (certificate-pinning tests). */
const IMAP_UNTRUSTED_HOST = '127.0.0.3';
const MAIL_USER = 'vmail';
/** Unix socket paths must fit in sockaddr_un (108 bytes incl. NUL), with room for Dovecot's own names. */
const MAX_STATE_DIR_LENGTH = 60;

// ---------------------------------------------------------------------------------------
// Layout of the state folder. Every path derives from the folder, so a descriptor read
// back from env.json is enough to drive the servers.

interface Layout {
  dir: string;
  envPath: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  untrustedCert: string;
  untrustedKey: string;
  dovecotConfig: string;
  capabilityConfig: string;
  passwdFile: string;
  dovecotBaseDir: string;
  dovecotStateDir: string;
  dovecotLog: string;
  dovecotPidFile: string;
  authSocket: string;
  lmtpSocket: string;
  mailRoot: string;
  postfixDir: string;
  postfixQueue: string;
  postfixData: string;
  postfixLog: string;
  postfixPidFile: string;
  recipientMap: string;
  /** Where the start commands' own stdout/stderr go. */
  daemonOutput: string;
}

function layoutFor(dir: string): Layout {
  const p = (...parts: string[]) => path.join(dir, ...parts);
  const dovecotBaseDir = p('run');
  // Outside the config folder: `postfix start` warns about every file there not owned by root.
  const postfixQueue = p('postfix-queue');
  return {
    dir,
    envPath: p('env.json'),
    caCert: p('tls', 'ca.crt'),
    caKey: p('tls', 'ca.key'),
    serverCert: p('tls', 'server.crt'),
    serverKey: p('tls', 'server.key'),
    untrustedCert: p('tls', 'untrusted.crt'),
    untrustedKey: p('tls', 'untrusted.key'),
    dovecotConfig: p('dovecot.conf'),
    capabilityConfig: p('capability.conf'),
    passwdFile: p('users'),
    dovecotBaseDir,
    dovecotStateDir: p('dstate'),
    dovecotLog: p('dovecot.log'),
    dovecotPidFile: path.join(dovecotBaseDir, 'master.pid'),
    // dovecot.conf names these two relative to base_dir (it warns about absolute paths there).
    authSocket: path.join(dovecotBaseDir, 'auth-postfix'),
    lmtpSocket: path.join(dovecotBaseDir, 'lmtp-postfix'),
    mailRoot: p('mail'),
    postfixDir: p('postfix'),
    postfixQueue,
    postfixData: p('postfix-data'),
    postfixLog: p('postfix.log'),
    postfixPidFile: path.join(postfixQueue, 'pid', 'master.pid'),
    recipientMap: p('postfix', 'recipients'),
    daemonOutput: p('daemons.out'),
  };
}

// ---------------------------------------------------------------------------------------
// Starting.

/** Starts Dovecot and Postfix; resolves once both accept connections. */
export async function startMailServers(options: StartMailServersOptions = {}): Promise<MailServers> {
  ensurePrerequisites();
  const mailIds = ensureMailUser();
  const dir = await prepareStateDir(options.dir);
  const layout = layoutFor(dir);
  const keep = options.keep ?? false;
  try {
    const ports = await choosePorts(options.ports);
    const users = (options.users ?? DEFAULT_USERS.map((name) => ({ name }))).map(toMailUser);
    await createTls(layout);
    await writeDovecotFiles(layout, ports, users, mailIds, options.imapCapability ?? null);
    await writePostfixFiles(layout, ports, users);
    const descriptor = descriptorFor(layout, ports, users, await fsp.readFile(layout.caCert, 'utf8'));
    // Written before the daemons start so that `cli.ts stop` can clean up even after a failed start.
    writeDescriptor(descriptor);
    await allSettledOrThrow([startDovecot(layout), startPostfix(layout)]);
    await waitUntilReady([...dovecotChecks(descriptor, layout), ...postfixChecks(descriptor)], layout, options.readyTimeoutMs ?? 15_000);
    return createHandle(descriptor, keep);
  } catch (error) {
    await stopDaemons(layout).catch(() => undefined);
    if (!keep) await fsp.rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Like Promise.all, but waits for all: cleaning up after one failed start while the other still runs would miss it. */
async function allSettledOrThrow(promises: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Writes the descriptor to `<dir>/env.json` and returns the variables a child process
 * needs to find and trust the servers.
 */
export function writeMailServersEnv(servers: MailServersDescriptor): Record<string, string> {
  const envPath = writeDescriptor(servers);
  return { [MAILSERVERS_ENV_VAR]: envPath, NODE_EXTRA_CA_CERTS: servers.caCertPath };
}

function ensurePrerequisites(): void {
  ensureDebianPackages(
    [
      { file: '/usr/sbin/dovecot', pkg: 'dovecot-imapd' },
      { file: '/usr/lib/dovecot/imap', pkg: 'dovecot-imapd' },
      { file: '/usr/lib/dovecot/lmtp', pkg: 'dovecot-lmtpd' },
      { file: '/usr/sbin/postfix', pkg: 'postfix' },
      { file: '/usr/bin/openssl', pkg: 'openssl' },
    ],
    'The test mail servers (e2e/mailserver)',
  );
  if (!isRoot()) {
    throw new Error(
      'The test mail servers must be started as root: Dovecot and Postfix switch to their own users. ' +
        'Run the command with sudo (or in the CI container, which runs as root).',
    );
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Dovecot refuses root-owned mail, so mail is stored as a dedicated system user,
 * created on first use.
 */
function ensureMailUser(): { uid: number; gid: number } {
  let ids = lookupUser(MAIL_USER);
  if (!ids) {
    const args = ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', MAIL_USER];
    const res = spawnSync('useradd', args, { encoding: 'utf8' });
    ids = lookupUser(MAIL_USER);
    if (!ids) throw new Error(`Could not create the system user '${MAIL_USER}' for the test mail: ${res.stderr || res.error}`);
  }
  return ids;
}

function lookupUser(name: string): { uid: number; gid: number } | undefined {
  const res = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  const fields = res.status === 0 ? res.stdout.trim().split(':') : [];
  if (fields.length < 4) return undefined;
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

async function prepareStateDir(requested: string | undefined): Promise<string> {
  const dir = requested ? path.resolve(requested) : await fsp.mkdtemp('/tmp/pm-');
  if (dir.length > MAX_STATE_DIR_LENGTH) {
    throw new Error(
      `The mail server state folder '${dir}' is too long (${dir.length} > ${MAX_STATE_DIR_LENGTH} characters): ` +
        'unix sockets are created in it, and their paths are limited to 108 bytes. Use a short one, like /tmp/pm-1.',
    );
  }
  await fsp.mkdir(dir, { recursive: true });
  if (requested && anyDaemonRunning(layoutFor(dir))) {
    throw new Error(`Mail servers are already running from ${dir}: stop them first (tsx e2e/mailserver/cli.ts stop --dir ${dir}).`);
  }
  // mkdtemp makes it 0700, but Dovecot's and Postfix's unprivileged processes must reach the sockets and mail in it.
  await fsp.chmod(dir, 0o755);
  return dir;
}

interface Ports {
  imapTls: number;
  imapStarttls: number;
  submission: number;
  smtpTls: number;
}

/** The addresses each port is opened on. */
const PORT_ADDRESSES: Record<keyof Ports, readonly string[]> = {
  imapTls: ['127.0.0.1', IMAP_STRICT_HOST],
  imapStarttls: ['127.0.0.1', IMAP_STRICT_HOST],
  submission: ['127.0.0.1'],
  smtpTls: ['127.0.0.1'],
};

/**
 * Binds every port (the given ones, or free ones) at the same time, so the picked ones
 * are distinct, then releases them for the daemons.
 */
async function choosePorts(fixed: StartMailServersOptions['ports'] = {}): Promise<Ports> {
  const held: net.Server[] = [];
  try {
    const ports: Partial<Ports> = {};
    for (const name of Object.keys(PORT_ADDRESSES) as (keyof Ports)[]) {
      const servers = await reservePort(fixed[name] ?? 0, PORT_ADDRESSES[name], name);
      held.push(...servers);
      ports[name] = (servers[0]!.address() as net.AddressInfo).port;
    }
    return ports as Ports;
  } finally {
    await closeAll(held);
  }
}

/** The port on all the addresses; a free one (port 0) is retried if taken on the others. */
async function reservePort(port: number, addresses: readonly string[], purpose: string): Promise<net.Server[]> {
  for (let attempt = 1; ; attempt++) {
    const servers: net.Server[] = [];
    try {
      for (const address of addresses) {
        const chosen = servers.length > 0 ? (servers[0]!.address() as net.AddressInfo).port : port;
        servers.push(await listenOn(chosen, address, purpose));
      }
      return servers;
    } catch (error) {
      await closeAll(servers);
      if (port !== 0 || attempt >= 5) throw error;
    }
  }
}

function listenOn(port: number, address: string, purpose: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (e) => reject(new Error(`Port ${port} on ${address} (${purpose}) is not free: ${e.message}`)));
    server.listen(port, address, () => resolve(server));
  });
}

function closeAll(servers: net.Server[]): Promise<unknown> {
  return Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
}

function toMailUser(spec: { name: string; password?: string }): MailUser {
  // The names end up in the passwd-file, config files and paths: keep them simple.
  if (!/^[a-z][a-z0-9._-]*$/.test(spec.name)) throw new Error(`Invalid test user name '${spec.name}'`);
  const password = spec.password ?? `${spec.name}-password`;
  if (/[:\s]/.test(password)) throw new Error(`The password of test user '${spec.name}' must not contain ':' or whitespace`);
  const address = `${spec.name}@${TEST_DOMAIN}`;
  return { name: spec.name, login: address, password, address };
}

function descriptorFor(layout: Layout, ports: Ports, users: MailUser[], caCert: string): MailServersDescriptor {
  return {
    version: 1,
    dir: layout.dir,
    caCertPath: layout.caCert,
    caCert,
    host: 'localhost',
    imap: {
      tlsPort: ports.imapTls,
      starttlsPort: ports.imapStarttls,
      strictHost: IMAP_STRICT_HOST,
      untrustedHost: IMAP_UNTRUSTED_HOST,
    },
    smtp: { submissionPort: ports.submission, tlsPort: ports.smtpTls },
    users,
    domain: TEST_DOMAIN,
    dovecotConfig: layout.dovecotConfig,
    postfixDir: layout.postfixDir,
    logs: { dovecot: layout.dovecotLog, postfix: layout.postfixLog },
  };
}

/** Only the descriptor's own fields: a handle passed in carries functions and more. */
function pickDescriptor(d: MailServersDescriptor): MailServersDescriptor {
  const { version, dir, caCertPath, caCert, host, imap, smtp, users, domain, dovecotConfig, postfixDir, logs } = d;
  return { version, dir, caCertPath, caCert, host, imap, smtp, users, domain, dovecotConfig, postfixDir, logs };
}

function writeDescriptor(d: MailServersDescriptor): string {
  const envPath = layoutFor(d.dir).envPath;
  fs.writeFileSync(envPath, `${JSON.stringify(pickDescriptor(d), null, 2)}\n`);
  return envPath;
}

// ---------------------------------------------------------------------------------------
// TLS: a throw-away CA and a certificate for localhost/127.0.0.1 signed by it.

const OPENSSL = '/usr/bin/openssl';

const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:${IMAP_STRICT_HOST}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[untrusted_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:${IMAP_UNTRUSTED_HOST}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/** EC keys: generating them takes milliseconds, RSA ones a noticeable part of the start time. */
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Creates a self-signed CA in `dir` (ca.crt, ca.key) and returns its PEM. Also useful to
 * tests that need a CA which did NOT sign the servers' certificate.
 */
export async function createTestCa(dir: string, commonName: string): Promise<{ certPath: string; keyPath: string; cert: string }> {
  await fsp.mkdir(dir, { recursive: true });
  const config = path.join(dir, 'openssl.cnf');
  await fsp.writeFile(config, OPENSSL_CONFIG);
  const certPath = path.join(dir, 'ca.crt');
  const keyPath = path.join(dir, 'ca.key');
  await runCommand(OPENSSL, ['req', '-x509', '-new', '-config', config, '-extensions', 'ca_ext', ...NEW_EC_KEY, '-keyout', keyPath, '-out', certPath, '-days', '30', '-subj', `/CN=${commonName}`]);
  return { certPath, keyPath, cert: await fsp.readFile(certPath, 'utf8') };
}

async function createTls(layout: Layout): Promise<void> {
  const tlsDir = path.dirname(layout.caCert);
  await createTestCa(tlsDir, `Petrel Test CA ${path.basename(layout.dir)}`);
  const config = path.join(tlsDir, 'openssl.cnf');
  const csr = path.join(tlsDir, 'server.csr');
  await runCommand(OPENSSL, ['req', '-new', '-config', config, ...NEW_EC_KEY, '-keyout', layout.serverKey, '-out', csr, '-subj', '/CN=localhost']);
  const serial = `0x${randomBytes(12).toString('hex')}`;
  await runCommand(OPENSSL, ['x509', '-req', '-in', csr, '-CA', layout.caCert, '-CAkey', layout.caKey, '-set_serial', serial, '-days', '30', '-extfile', config, '-extensions', 'server_ext', '-out', layout.serverCert]);
  // Keys stay root-only (0600): both masters read them as root before dropping privileges.
  await createUntrustedCertificate(layout);
}

/** A leaf for IMAP_UNTRUSTED_HOST from a fresh CA whose key is thrown away at once. */
async function createUntrustedCertificate(layout: Layout): Promise<void> {
  const tlsDir = path.dirname(layout.caCert);
  const caDir = await fsp.mkdtemp(path.join(tlsDir, 'untrusted-ca-'));
  try {
    const ca = await createTestCa(caDir, `Untrusted Test CA ${randomBytes(4).toString('hex')}`);
    const config = path.join(caDir, 'openssl.cnf');
    const csr = path.join(caDir, 'leaf.csr');
    await runCommand(OPENSSL, ['req', '-new', '-config', config, ...NEW_EC_KEY, '-keyout', layout.untrustedKey, '-out', csr, '-subj', `/CN=${IMAP_UNTRUSTED_HOST}/O=Untrusted Mail`]);
    const serial = `0x${randomBytes(12).toString('hex')}`;
    await runCommand(OPENSSL, ['x509', '-req', '-in', csr, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', serial, '-days', '30', '-extfile', config, '-extensions', 'untrusted_ext', '-out', layout.untrustedCert]);
  } finally {
    await fsp.rm(caDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Dovecot

const DOVECOT = '/usr/sbin/dovecot';
const DOVEADM = '/usr/bin/doveadm';

function dovecotConfig(layout: Layout, ports: Ports, mailIds: { uid: number; gid: number }): string {
  const specialMailboxes = SPECIAL_FOLDER_NAMES.map(
    (name) => `  mailbox ${name} {\n    special_use = ${SPECIAL_USE_FOLDERS[name]}\n    auto = subscribe\n  }`,
  ).join('\n');
  return `# Written by e2e/mailserver/mailserver.ts at every start; edits are lost.
# No !include of /etc/dovecot: only what is here (and Dovecot's built-in defaults) applies.
instance_name = petrel-${path.basename(layout.dir)}
protocols = imap lmtp
listen = 127.0.0.1
base_dir = ${layout.dovecotBaseDir}
state_dir = ${layout.dovecotStateDir}
log_path = ${layout.dovecotLog}
auth_verbose = yes
# No statistics: a process starting while Dovecot stops waits 5 s for the stopped stats
# service, and Dovecot waits for it.
stats_writer_socket_path =

ssl = yes
ssl_cert = <${layout.serverCert}
ssl_key = <${layout.serverKey}
ssl_min_protocol = TLSv1.2
# No password before TLS: the plain port offers STARTTLS and LOGINDISABLED.
disable_plaintext_auth = yes
auth_mechanisms = plain login
# Wrong-password tests should not wait (see also service anvil below).
auth_failure_delay = 0

# Users log in with their full address; mail is stored as '${MAIL_USER}' (uid ${mailIds.uid}),
# which is below Dovecot's default first_valid_uid of 500.
first_valid_uid = ${mailIds.uid}
first_valid_gid = ${mailIds.gid}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${layout.passwdFile}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${layout.passwdFile}
}
mail_location = maildir:~/Maildir
recipient_delimiter = +

namespace inbox {
  inbox = yes
  separator = /
${specialMailboxes}
}

service imap-login {
  # Named like the built-in listeners, so these replace them instead of adding to 143/993.
  inet_listener imap {
    address = 127.0.0.1, ${IMAP_STRICT_HOST}, ${IMAP_UNTRUSTED_HOST}
    port = ${ports.imapStarttls}
  }
  inet_listener imaps {
    address = 127.0.0.1, ${IMAP_STRICT_HOST}, ${IMAP_UNTRUSTED_HOST}
    port = ${ports.imapTls}
    ssl = yes
  }
}
# Connections to this address get the certificate nobody trusts.
local ${IMAP_UNTRUSTED_HOST} {
  ssl_cert = <${layout.untrustedCert}
  ssl_key = <${layout.untrustedKey}
}
service lmtp {
  unix_listener ${path.basename(layout.lmtpSocket)} {
    mode = 0600
    user = postfix
    group = postfix
  }
}
service auth {
  unix_listener ${path.basename(layout.authSocket)} {
    mode = 0660
    user = postfix
    group = postfix
  }
}
service anvil {
  # No auth penalty: after a failed login Dovecot would otherwise delay every following
  # login from 127.0.0.1 (everything, in tests) by 2 to 15 s. The auth process cannot
  # connect to a mode 0 socket, and then skips the penalty.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
protocol imap {
  # Tests open many connections per user (the default allows 10 per user and IP).
  mail_max_userip_connections = 100
}

!include_try ${layout.capabilityConfig}
`;
}

function capabilityConfig(imapCapability: string | null): string {
  if (imapCapability === null) return "# imap_capability: Dovecot's default\n";
  if (/[\n{}]/.test(imapCapability)) throw new Error(`Invalid imapCapability: ${JSON.stringify(imapCapability)}`);
  return `imap_capability = ${imapCapability}\n`;
}

async function writeDovecotFiles(layout: Layout, ports: Ports, users: MailUser[], ids: { uid: number; gid: number }, imapCapability: string | null): Promise<void> {
  await fsp.writeFile(layout.dovecotConfig, dovecotConfig(layout, ports, ids));
  await fsp.writeFile(layout.capabilityConfig, capabilityConfig(imapCapability));
  const passwd = users.map((u) => `${u.login}:{PLAIN}${u.password}:${ids.uid}:${ids.gid}::${userHome(layout, u)}::\n`).join('');
  // Read by Dovecot's auth process, which runs as the unprivileged 'dovecot' user. Test passwords only.
  await fsp.writeFile(layout.passwdFile, passwd, { mode: 0o644 });
  await fsp.mkdir(layout.dovecotStateDir, { recursive: true });
  await fsp.mkdir(layout.mailRoot, { recursive: true, mode: 0o755 });
  for (const user of users) await createMaildir(userHome(layout, user), ids);
}

function userHome(layout: Layout, user: MailUser): string {
  return path.join(layout.mailRoot, user.name);
}

/**
 * Creates INBOX and the special-use folders on disk (Maildir++ layout: `.Drafts` etc.).
 * `auto = subscribe` alone would only make Dovecot pretend they exist.
 */
async function createMaildir(home: string, ids: { uid: number; gid: number }): Promise<void> {
  const maildir = path.join(home, 'Maildir');
  const folders = [maildir, ...SPECIAL_FOLDER_NAMES.map((name) => path.join(maildir, `.${name}`))];
  const created = [home];
  for (const folder of folders) {
    created.push(folder);
    for (const sub of ['cur', 'new', 'tmp']) created.push(path.join(folder, sub));
  }
  for (const dir of created) {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    await fsp.chown(dir, ids.uid, ids.gid);
  }
  for (const folder of folders.slice(1)) {
    const marker = path.join(folder, 'maildirfolder');
    await fsp.writeFile(marker, '');
    await fsp.chown(marker, ids.uid, ids.gid);
  }
}

async function startDovecot(layout: Layout): Promise<void> {
  // Dovecot daemonizes itself: the command returns once the master runs (or the config is rejected).
  await runStarter(DOVECOT, ['-c', layout.dovecotConfig], layout);
}

// ---------------------------------------------------------------------------------------
// Postfix

const POSTFIX = '/usr/sbin/postfix';

function postfixMainCf(layout: Layout): string {
  return `# Written by e2e/mailserver/mailserver.ts at every start; edits are lost.
compatibility_level = 3.6
queue_directory = ${layout.postfixQueue}
data_directory = ${layout.postfixData}
mail_owner = postfix
setgid_group = postdrop
# The machine's hostname is not fully qualified and there is no DNS.
myhostname = mail.${TEST_DOMAIN}
mydomain = ${TEST_DOMAIN}
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
biff = no
maillog_file = ${layout.postfixLog}
# Postfix refuses log files outside these prefixes.
maillog_file_prefixes = /var, /dev/stdout, ${layout.dir}

# Every recipient in ${TEST_DOMAIN} that exists goes to Dovecot over LMTP; unknown ones are rejected at RCPT.
virtual_mailbox_domains = ${TEST_DOMAIN}
virtual_mailbox_maps = texthash:${layout.recipientMap}
virtual_transport = lmtp:unix:${layout.lmtpSocket}
recipient_delimiter = +
local_transport = error:local delivery is disabled in the test mail setup
alias_maps =
alias_database =
# There is no outside world: mail to other domains is accepted and silently dropped.
default_transport = discard:no mail leaves the test mail setup
relay_transport = discard:no mail leaves the test mail setup

smtpd_tls_chain_files = ${layout.serverKey}, ${layout.serverCert}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${layout.authSocket}
smtpd_sasl_auth_enable = no
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
# Fast failure tests: no tarpitting after errors.
smtpd_error_sleep_time = 0
message_size_limit = 52428800
`;
}

/**
 * Our own master.cf: Debian's chroots services into the queue folder, where the absolute
 * paths of Dovecot's sockets would not resolve.
 */
function postfixMasterCf(ports: Ports): string {
  const submission = (port: number, name: string, extra: string[]) =>
    [
      `127.0.0.1:${port} inet n - n - - smtpd`,
      `  -o syslog_name=postfix/${name}`,
      '  -o smtpd_sasl_auth_enable=yes',
      '  -o smtpd_tls_security_level=encrypt',
      ...extra,
    ].join('\n');
  return `# Written by e2e/mailserver/mailserver.ts at every start; edits are lost.
# service type private unpriv chroot wakeup maxproc command
${submission(ports.submission, 'submission', [])}
${submission(ports.smtpTls, 'submissions', ['  -o smtpd_tls_wrappermode=yes'])}
pickup     unix  n - n 60   1 pickup
cleanup    unix  n - n -    0 cleanup
qmgr       unix  n - n 300  1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -    - trivial-rewrite
bounce     unix  - - n -    0 bounce
defer      unix  - - n -    0 bounce
trace      unix  - - n -    0 bounce
verify     unix  - - n -    1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -    - proxymap
proxywrite unix  - - n -    1 proxymap
smtp       unix  - - n -    - smtp
relay      unix  - - n -    - smtp
showq      unix  n - n -    - showq
error      unix  - - n -    - error
retry      unix  - - n -    - error
discard    unix  - - n -    - discard
lmtp       unix  - - n -    - lmtp
anvil      unix  - - n -    1 anvil
scache     unix  - - n -    1 scache
postlog    unix-dgram n - n - 1 postlogd
`;
}

async function writePostfixFiles(layout: Layout, ports: Ports, users: MailUser[]): Promise<void> {
  await fsp.mkdir(layout.postfixDir, { recursive: true, mode: 0o755 });
  await fsp.writeFile(path.join(layout.postfixDir, 'main.cf'), postfixMainCf(layout));
  await fsp.writeFile(path.join(layout.postfixDir, 'master.cf'), postfixMasterCf(ports));
  await fsp.writeFile(layout.recipientMap, users.map((u) => `${u.address} OK\n`).join(''));
  await backdate([path.join(layout.postfixDir, 'main.cf'), path.join(layout.postfixDir, 'master.cf'), layout.recipientMap]);
  // Postfix dies silently without these; `postfix start` creates the subfolders.
  await fsp.mkdir(layout.postfixQueue, { recursive: true, mode: 0o755 });
  await fsp.mkdir(layout.postfixData, { recursive: true, mode: 0o700 });
  const postfix = lookupUser('postfix');
  if (postfix) await fsp.chown(layout.postfixData, postfix.uid, postfix.gid);
}

/**
 * Postfix will not read a file changed within the last second ("still being edited"):
 * it sleeps and retries, which made every start take 2.5 s.
 */
async function backdate(files: string[]): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  for (const file of files) await fsp.utimes(file, past, past);
}

async function startPostfix(layout: Layout): Promise<void> {
  // `start` waits (master -w) until the master daemon has initialized.
  await runStarter(POSTFIX, ['-c', layout.postfixDir, 'start'], layout);
}

// ---------------------------------------------------------------------------------------
// Processes

/** Runs a command to completion and returns its stdout; rejects with its stderr on failure. */
function runCommand(cmd: string, args: readonly string[], input?: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    // A command that does not read its input may exit before it is written (EPIPE): its
    // exit status says how it went, so a write error must not end the test process.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/**
 * Runs a command that leaves a daemon behind. Its output goes to a file, never a pipe:
 * the daemon inherits the descriptors, and a pipe it holds open would never reach its
 * end, hanging whoever reads it. Detached, so a Ctrl-C in the terminal reaches only the
 * test runner, and the servers are stopped in order instead of dying half-way.
 */
async function runStarter(cmd: string, args: readonly string[], layout: Layout): Promise<void> {
  const out = fs.openSync(layout.daemonOutput, 'a');
  try {
    const child = spawn(cmd, args, { stdio: ['ignore', out, out], detached: true });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (status) => resolve(status));
    });
    if (code !== 0) {
      throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (exit ${code}).\n${logTails(layout)}`);
    }
  } finally {
    fs.closeSync(out);
  }
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (a container's init may be slow to reap orphaned daemons). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // The state follows the parenthesized command name, which may contain spaces.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return !fs.existsSync('/proc/self');
  }
}

/**
 * A pid file can outlive its process and the pid be reused: before signalling, check
 * the process really is the daemon started from this state folder.
 */
interface Daemon {
  name: string;
  pidFile: string;
  isOurs(pid: number): boolean;
}

function dovecotDaemon(layout: Layout): Daemon {
  return {
    name: 'Dovecot',
    pidFile: layout.dovecotPidFile,
    // Its command line names our config file.
    isOurs: (pid) => readProc(pid, 'cmdline').split('\0').includes(layout.dovecotConfig),
  };
}

function postfixDaemon(layout: Layout): Daemon {
  return {
    name: 'Postfix',
    pidFile: layout.postfixPidFile,
    // Postfix's master runs from its queue folder (its command line is just `master -w`).
    isOurs: (pid) => readProcLink(pid, 'cwd') === layout.postfixQueue,
  };
}

function readProc(pid: number, file: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

function readProcLink(pid: number, link: string): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/${link}`);
  } catch {
    return '';
  }
}

function runningPid(daemon: Daemon): number | undefined {
  const pid = readPid(daemon.pidFile);
  return pid !== undefined && isAlive(pid) && daemon.isOurs(pid) ? pid : undefined;
}

function anyDaemonRunning(layout: Layout): boolean {
  return [dovecotDaemon(layout), postfixDaemon(layout)].some((d) => runningPid(d) !== undefined);
}

/** SIGTERM to the master (which stops its children), SIGKILL to its process group if it lingers. */
async function stopDaemon(daemon: Daemon): Promise<void> {
  const pid = runningPid(daemon);
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  if (await waitFor(() => !isAlive(pid), 10_000)) return;
  // Both masters lead their own process group (they call setsid()), so this hits only their children.
  process.stderr.write(`[mailserver] ${daemon.name} (pid ${pid}) ignored SIGTERM; killing its process group\n`);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
  if (!(await waitFor(() => !isAlive(pid), 5_000))) throw new Error(`${daemon.name} (pid ${pid}) does not stop`);
}

async function stopDaemons(layout: Layout): Promise<void> {
  await Promise.all([stopDaemon(dovecotDaemon(layout)), stopDaemon(postfixDaemon(layout))]);
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}

/**
 * Whether the service answers with its greeting, over verified TLS for the TLS ports.
 * An open port is not enough: Dovecot greets only once its auth process is up, and a
 * stop while processes are still starting waits seconds for them to time out.
 */
function greets(port: number, greeting: RegExp, ca?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = ca ? tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca }) : net.connect({ host: '127.0.0.1', port });
    let received = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('\n')) done(greeting.test(received));
    });
    socket.once('error', () => done(false));
    socket.once('end', () => done(false));
    socket.setTimeout(2000, () => done(false));
  });
}

interface ReadinessCheck {
  what: string;
  ready(): Promise<boolean>;
}

const IMAP_GREETING = /^\* OK /;
const SMTP_GREETING = /^220 /;

function dovecotChecks(d: MailServersDescriptor, layout: Layout): ReadinessCheck[] {
  return [
    greetingCheck('Dovecot IMAPS', d.imap.tlsPort, IMAP_GREETING, d.caCert),
    greetingCheck('Dovecot IMAP (STARTTLS)', d.imap.starttlsPort, IMAP_GREETING),
    socketCheck('Dovecot LMTP socket', layout.lmtpSocket),
    socketCheck('Dovecot auth socket', layout.authSocket),
  ];
}

function postfixChecks(d: MailServersDescriptor): ReadinessCheck[] {
  return [
    greetingCheck('Postfix submission', d.smtp.submissionPort, SMTP_GREETING),
    greetingCheck('Postfix submissions (TLS)', d.smtp.tlsPort, SMTP_GREETING, d.caCert),
  ];
}

function greetingCheck(what: string, port: number, greeting: RegExp, ca?: string): ReadinessCheck {
  return { what: `greeting from ${what} on 127.0.0.1:${port}`, ready: () => greets(port, greeting, ca) };
}

function socketCheck(what: string, socketPath: string): ReadinessCheck {
  // Existence is enough: the master creates it when it starts listening. (Connecting would start a session.)
  return { what: `${what} ${socketPath}`, ready: async () => fs.existsSync(socketPath) };
}

/** Polls until every check passes; fails with the daemons' log tails after `timeoutMs`. */
async function waitUntilReady(checks: ReadinessCheck[], layout: Layout, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const check of checks) {
    if (!(await waitFor(() => check.ready(), Math.max(0, deadline - Date.now())))) {
      throw new Error(`The test mail servers did not come up within ${timeoutMs / 1000} s: no ${check.what}.\n${logTails(layout)}`);
    }
  }
}

/** Polls until nothing listens on the ports any more. */
async function waitUntilClosed(ports: number[]): Promise<void> {
  for (const port of ports) {
    if (!(await waitFor(async () => !(await canConnect(port)), 10_000))) {
      throw new Error(`Something still listens on 127.0.0.1:${port} after stopping the test mail servers`);
    }
  }
}

function logTails(layout: Layout, lines = 25): string {
  const files = [layout.daemonOutput, layout.dovecotLog, layout.postfixLog];
  return files
    .map((file) => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        return `--- ${file}: (none)`;
      }
      return `--- ${file} (last ${lines} lines):\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
    })
    .join('\n');
}

// ---------------------------------------------------------------------------------------
// The handle

function createHandle(d: MailServersDescriptor, keepByDefault: boolean): MailServers {
  const descriptor = pickDescriptor(d);
  const layout = layoutFor(descriptor.dir);
  const doveadm = (args: readonly string[], input?: string | Buffer) => runCommand(DOVEADM, ['-c', layout.dovecotConfig, ...args], input);
  const user = (name: string): MailUser => {
    const found = descriptor.users.find((u) => u.name === name || u.login === name);
    if (!found) throw new Error(`Unknown test user '${name}' (known: ${descriptor.users.map((u) => u.name).join(', ')})`);
    return found;
  };
  let stopped = false;

  return {
    ...descriptor,
    envPath: layout.envPath,
    user,
    doveadm,
    resetUser: (name) => resetMailbox(doveadm, user(name).login),
    async rotateUntrustedCertificate() {
      await createUntrustedCertificate(layout);
      // A reload re-reads the certificates; new connections get the new one.
      await runCommand(DOVECOT, ['-c', layout.dovecotConfig, 'reload']);
      await waitUntilReady(dovecotChecks(descriptor, layout), layout, 15_000);
    },
    async restartDovecot(options = {}) {
      if (options.imapCapability !== undefined) await fsp.writeFile(layout.capabilityConfig, capabilityConfig(options.imapCapability));
      await stopDaemon(dovecotDaemon(layout));
      await waitUntilClosed([descriptor.imap.tlsPort, descriptor.imap.starttlsPort]);
      await startDovecot(layout);
      await waitUntilReady(dovecotChecks(descriptor, layout), layout, 15_000);
    },
    async stopPostfix() {
      await stopDaemon(postfixDaemon(layout));
      await waitUntilClosed([descriptor.smtp.submissionPort, descriptor.smtp.tlsPort]);
    },
    async startPostfix() {
      if (runningPid(postfixDaemon(layout)) !== undefined) return;
      await startPostfix(layout);
      await waitUntilReady(postfixChecks(descriptor), layout, 15_000);
    },
    async stop(options = {}) {
      if (stopped) return;
      stopped = true;
      await stopDaemons(layout);
      await waitUntilClosed([descriptor.imap.tlsPort, descriptor.imap.starttlsPort, descriptor.smtp.submissionPort, descriptor.smtp.tlsPort]);
      if (!(options.keep ?? keepByDefault)) await fsp.rm(descriptor.dir, { recursive: true, force: true });
    },
  };
}

/** Depth first, so children are deleted before their parents. */
function byDepthDescending(a: string, b: string): number {
  return b.split('/').length - a.split('/').length || b.localeCompare(a);
}

async function resetMailbox(doveadm: MailServers['doveadm'], login: string): Promise<void> {
  const keep = new Set<string>(['INBOX', ...SPECIAL_FOLDER_NAMES]);
  const lines = (text: string) => text.split('\n').filter((l) => l !== '');
  const existing = lines(await doveadm(['mailbox', 'list', '-u', login]));
  const extra = existing.filter((name) => !keep.has(name)).sort(byDepthDescending);
  if (extra.length > 0) {
    // The list includes parents that exist only as part of a child's name ("a" of "a/b");
    // deleting those fails, but they vanish with their children. So failures are fine
    // as long as nothing extra is left.
    await doveadm(['mailbox', 'delete', '-s', '-u', login, ...extra]).catch(async (error: unknown) => {
      const left = lines(await doveadm(['mailbox', 'list', '-u', login])).filter((name) => !keep.has(name));
      if (left.length > 0) throw error;
    });
  }
  await doveadm(['expunge', '-u', login, 'mailbox', '*', 'all']);
  const missing = SPECIAL_FOLDER_NAMES.filter((name) => !existing.includes(name));
  if (missing.length > 0) await doveadm(['mailbox', 'create', '-s', '-u', login, ...missing]);
  // Subscriptions to folders that never existed (or were deleted by a client without unsubscribing).
  const stale = lines(await doveadm(['mailbox', 'list', '-s', '-u', login])).filter((name) => !keep.has(name));
  if (stale.length > 0) await doveadm(['mailbox', 'unsubscribe', '-u', login, ...stale]);
}

// ---------------------------------------------------------------------------------------
// Attaching to servers started by another process

/**
 * The servers described by PETREL_TEST_MAILSERVERS, with working helpers. Throws (so
 * tests fail rather than skip) when the variable is missing.
 */
export function loadMailServersFromEnv(env: NodeJS.ProcessEnv = process.env): MailServers {
  const file = env[MAILSERVERS_ENV_VAR];
  if (!file) {
    throw new Error(
      `${MAILSERVERS_ENV_VAR} is not set: these tests need the real test mail servers (Dovecot and Postfix). Run them with\n` +
        '  npx tsx scripts/with-mail-servers.ts npx vitest run --project integration\n' +
        'or start the servers once with `npx tsx e2e/mailserver/cli.ts start` and export the variables it prints.',
    );
  }
  return attachMailServers(file);
}

/** The servers described by a descriptor file, or by the `env.json` in a state folder. */
export function attachMailServers(envPathOrDir: string): MailServers {
  const file = fs.existsSync(envPathOrDir) && fs.statSync(envPathOrDir).isDirectory() ? layoutFor(envPathOrDir).envPath : envPathOrDir;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the test mail server descriptor ${file}: ${(error as Error).message}. Are the servers running?`, { cause: error });
  }
  return createHandle(parseDescriptor(raw, file), false);
}

function parseDescriptor(raw: unknown, file: string): MailServersDescriptor {
  const d = raw as Partial<MailServersDescriptor> | null;
  const port = (n: unknown) => Number.isInteger(n) && (n as number) > 0 && (n as number) < 65536;
  const valid =
    d !== null &&
    typeof d === 'object' &&
    d.version === 1 &&
    typeof d.dir === 'string' &&
    typeof d.caCert === 'string' &&
    typeof d.caCertPath === 'string' &&
    port(d.imap?.tlsPort) &&
    port(d.imap?.starttlsPort) &&
    port(d.smtp?.submissionPort) &&
    port(d.smtp?.tlsPort) &&
    Array.isArray(d.users) &&
    d.users.every((u) => typeof u?.name === 'string' && typeof u.login === 'string' && typeof u.password === 'string' && typeof u.address === 'string');
  if (!valid) throw new Error(`${file} is not a test mail server descriptor (version 1)`);
  return d as MailServersDescriptor;
}

/** Whether the daemons of a state folder are running (for `cli.ts status`). */
export function mailServersStatus(d: MailServersDescriptor): { dovecotPid?: number; postfixPid?: number } {
  const layout = layoutFor(d.dir);
  return { dovecotPid: runningPid(dovecotDaemon(layout)), postfixPid: runningPid(postfixDaemon(layout)) };
}
