import { PetrelError } from '../../shared/errors';

export const DEFAULT_PORT = 17143;

export interface HostArgs {
  port: number;
  host: string;
  dataDir: string | undefined;
  open: boolean;
  allowRemote: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run serve -- [options]

Runs Petrel's mail engine and serves the app to your browser on this machine.

  --port N        port to listen on (default ${DEFAULT_PORT}; keep it fixed: the browser's
                  mail cache belongs to the address, so a new port starts an empty cache;
                  0 picks any free port, for tests)
  --data-dir DIR  where settings and passwords are kept (default: your config folder)
  --no-open       do not open the browser
  --host ADDR     address to listen on (default 127.0.0.1); anything but loopback
                  also needs --allow-remote
  --allow-remote  allow --host to be a non-loopback address (anyone who can reach it
                  and has the token can read your mail)
  --help          show this text`;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Parses the host's command line; throws BAD_REQUEST with a message fit for a terminal. */
export function parseHostArgs(argv: readonly string[]): HostArgs {
  const args: HostArgs = {
    port: DEFAULT_PORT,
    host: '127.0.0.1',
    dataDir: undefined,
    open: true,
    allowRemote: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    const [flag, inline] = raw.includes('=') ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)] : [raw, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new PetrelError('BAD_REQUEST', `${flag} needs a value.\n\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const v = value();
        const port = Number(v);
        if (!/^\d+$/.test(v) || port > 65535) {
          throw new PetrelError('BAD_REQUEST', `--port must be a number from 0 to 65535, not "${v}".`);
        }
        args.port = port;
        break;
      }
      case '--host':
        args.host = value();
        break;
      case '--data-dir':
        args.dataDir = value();
        break;
      case '--no-open':
        args.open = false;
        break;
      case '--allow-remote':
        args.allowRemote = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new PetrelError('BAD_REQUEST', `Unknown option ${raw}.\n\n${USAGE}`);
    }
  }
  if (!isLoopback(args.host) && !args.allowRemote) {
    throw new PetrelError(
      'BAD_REQUEST',
      `Refusing to listen on ${args.host}: only this machine (127.0.0.1) is allowed unless you also pass --allow-remote.`,
    );
  }
  return args;
}
