import { describe, expect, it } from 'vitest';
import { syncMethods } from './sync';

describe("'messages.bodies' params", () => {
  const params = syncMethods['messages.bodies'].params;
  const base = { accountId: 'acct-alice', path: 'INBOX', uidValidity: '7', uids: [3, 2, 1] };

  it('takes the cached sizes in the order of the UIDs, or none', () => {
    expect(params.safeParse(base).success).toBe(true);
    expect(params.safeParse({ ...base, sizes: [100, 20_000, 0] }).success).toBe(true);
  });

  it('refuses sizes that do not match the UIDs, and sizes that are not byte counts', () => {
    const short = params.safeParse({ ...base, sizes: [100, 200] });
    expect(short.success).toBe(false);
    expect(short.error?.issues[0]?.path).toEqual(['sizes']);
    expect(params.safeParse({ ...base, sizes: [1, -1, 2] }).success).toBe(false);
    expect(params.safeParse({ ...base, sizes: [1, 2.5, 2] }).success).toBe(false);
  });
});
