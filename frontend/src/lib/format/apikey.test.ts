import { describe, expect, it } from 'vitest';
import { checkApiKey } from './apikey';

describe('checkApiKey', () => {
  it.each([
    ['sk_test_51AbcDEF123', 'test', false],
    ['rk_live_Zz9', 'live', true],
    ['rk_test_readonly1', 'test', true],
  ])('accepts %s', (key, mode, restricted) => {
    expect(checkApiKey(key)).toEqual({ ok: true, message: '', mode, restricted });
  });

  it.each([
    ['', 'Paste'],
    ['   ', 'Paste'],
    [' sk_test_abc', 'spaces'],
    ['sk_test_abc\n', 'spaces'],
    ['sk_test_a b', 'spaces'],
    ['pk_test_abc', 'publishable'],
    ['sk_prod_abc', 'does not look like'],
    ['sk_test_', 'does not look like'],
    ['sk_test_abc-def', 'does not look like'],
    ['SK_TEST_abc', 'does not look like'],
    ['whsec_abc', 'does not look like'],
  ])('rejects %j', (key, hint) => {
    const r = checkApiKey(key);
    expect(r.ok).toBe(false);
    expect(r.message).toContain(hint);
  });
});
