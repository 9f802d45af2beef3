import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface DebianNeed {
  /** A file whose presence means the package is installed. */
  file: string;
  /** The Debian package that provides it. */
  pkg: string;
}

/**
 * Makes sure Debian packages the tests need are installed: as root with apt it
 * installs them (the test command must work on a fresh machine); otherwise it says
 * exactly what to install and fails.
 */
export function ensureDebianPackages(needs: readonly DebianNeed[], why: string): void {
  const missing = [...new Set(needs.filter((n) => !existsSync(n.file)).map((n) => n.pkg))];
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(
      `${why} needs these Debian packages: ${missing.join(' ')}\n` +
        `Install them with: sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  process.stderr.write(`Installing ${missing.join(' ')} for ${why}...\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  const still = needs.filter((n) => !existsSync(n.file));
  if (still.length > 0) throw new Error(`Installed ${missing.join(' ')} but ${still.map((n) => n.file).join(', ')} is still missing.`);
}
