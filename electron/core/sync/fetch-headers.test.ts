import { describe, expect, it } from 'vitest';
import { previewAttribute } from './fetch-headers';

describe('previewAttribute', () => {
  const response = (items: unknown[]) => ({ tag: '*', command: '12', attributes: [{ type: 'ATOM', value: 'FETCH' }, items] }) as never;

  it('reads PREVIEW (RFC 8970) as a quoted string, a literal or NIL', () => {
    expect(previewAttribute(response([{ type: 'ATOM', value: 'UID' }, { type: 'ATOM', value: '4' }, { type: 'ATOM', value: 'PREVIEW' }, { type: 'STRING', value: 'Hello' }]))).toBe('Hello');
    expect(previewAttribute(response([{ type: 'ATOM', value: 'preview' }, { type: 'LITERAL', value: Buffer.from('Grüße') }]))).toBe('Grüße');
    expect(previewAttribute(response([{ type: 'ATOM', value: 'PREVIEW' }, null]))).toBeNull();
    expect(previewAttribute(response([{ type: 'ATOM', value: 'UID' }, { type: 'ATOM', value: '4' }]))).toBeNull();
    expect(previewAttribute({ tag: '*' } as never)).toBeNull();
  });
});
