import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The platform's per-user config folder for Petrel, the same place Electron's
 * app.getPath('userData') uses, so the desktop app and the host share settings.
 */
export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Petrel');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Petrel');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'Petrel');
}
