/**
 * A tiny leveled logger writing one line per entry to stderr. Secrets must never be
 * passed to it: callers log account ids and hosts, not passwords or tokens.
 */
export interface Logger {
  info(message: string, extra?: unknown): void;
  warn(message: string, extra?: unknown): void;
  error(message: string, extra?: unknown): void;
  child(scope: string): Logger;
}

export function createLogger(scope: string, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const line = (level: string, message: string, extra?: unknown) => {
    let tail = '';
    if (extra instanceof Error) tail = ` ${extra.name}: ${extra.message}${extra.stack ? `\n${extra.stack}` : ''}`;
    else if (extra !== undefined) tail = ` ${safeJson(extra)}`;
    write(`${new Date().toISOString()} ${level} [${scope}] ${message}${tail}\n`);
  };
  return {
    info: (m, e) => line('INFO', m, e),
    warn: (m, e) => line('WARN', m, e),
    error: (m, e) => line('ERROR', m, e),
    child: (s) => createLogger(`${scope}:${s}`, write),
  };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  } catch {
    return String(v);
  }
}
