import type { z } from 'zod';
import { PetrelError } from './errors';

/**
 * Parses untrusted input with a schema. On failure throws BAD_REQUEST whose message
 * names every failing path, so the person or developer sees what was wrong.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 10).map((i) => {
    const path = i.path.length > 0 ? i.path.map(String).join('.') : '(root)';
    return `${path}: ${i.message}`;
  });
  throw new PetrelError('BAD_REQUEST', `Invalid ${what}: ${issues.join('; ')}`, { issues });
}
