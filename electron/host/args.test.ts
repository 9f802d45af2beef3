import { describe, expect, it } from 'vitest';
import { DEFAULT_PORT, parseHostArgs } from './args';
import { defaultDataDir } from './paths';

describe('host arguments', () => {
  it('defaults to loopback on a fixed port and opens the browser', () => {
    expect(parseHostArgs([])).toEqual({
      port: DEFAULT_PORT,
      host: '127.0.0.1',
      dataDir: undefined,
      open: true,
      allowRemote: false,
      help: false,
    });
  });

  it('reads --port, --data-dir and --no-open, with = or a separate value', () => {
    expect(parseHostArgs(['--port', '9000', '--data-dir=/tmp/x', '--no-open'])).toMatchObject({
      port: 9000,
      dataDir: '/tmp/x',
      open: false,
    });
  });

  it('refuses a bad port and unknown flags with a clear message', () => {
    expect(() => parseHostArgs(['--port', 'abc'])).toThrow(/--port must be a number/);
    expect(() => parseHostArgs(['--port', '70000'])).toThrow(/--port must be a number/);
    expect(() => parseHostArgs(['--bogus'])).toThrow(/Unknown option --bogus/);
    expect(() => parseHostArgs(['--data-dir'])).toThrow(/needs a value/);
  });

  it('binds beyond loopback only with --allow-remote', () => {
    expect(() => parseHostArgs(['--host', '0.0.0.0'])).toThrow(/--allow-remote/);
    expect(parseHostArgs(['--host', '0.0.0.0', '--allow-remote']).host).toBe('0.0.0.0');
    expect(parseHostArgs(['--host', '127.0.0.2']).host).toBe('127.0.0.2');
  });

  it('puts data in the platform config folder', () => {
    expect(defaultDataDir('linux', {}, '/home/a')).toBe('/home/a/.config/Petrel');
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '/x' }, '/home/a')).toBe('/x/Petrel');
    expect(defaultDataDir('darwin', {}, '/Users/a')).toBe('/Users/a/Library/Application Support/Petrel');
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'C:\\Users\\a')).toMatch(/Petrel$/);
  });
});
