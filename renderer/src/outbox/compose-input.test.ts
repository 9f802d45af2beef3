import { describe, expect, it } from 'vitest';
import { hasContent } from './compose-input';
import type { ComposerContent } from './types';

const empty: ComposerContent = { accountId: 'acct-alice', identityId: 'main', to: '', cc: '', bcc: '', subject: '', text: '', html: null, attachments: [] };

describe('hasContent', () => {
  it('a signature alone is nothing worth keeping; text above it is', () => {
    expect(hasContent(empty)).toBe(false);
    expect(hasContent({ ...empty, text: '\n-- \nAlice\nChief of Plans' })).toBe(false);
    expect(hasContent({ ...empty, text: '\n\n--\nAlice' })).toBe(false);
    expect(hasContent({ ...empty, text: 'Hello\n-- \nAlice' })).toBe(true);
    expect(hasContent({ ...empty, text: '--- not a signature' })).toBe(true);
    expect(hasContent({ ...empty, to: 'bob@example.test', text: '\n-- \nAlice' })).toBe(true);
  });
});
