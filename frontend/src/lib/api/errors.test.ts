import { describe, expect, it } from 'vitest';
import { AppError } from './errors';
import { call } from './bridge';

describe('AppError.from', () => {
  it('keeps the Go ErrorDTO code, message and request id', () => {
    const e = AppError.from({ code: 'forbidden', message: 'the key lacks customers read', requestId: 'req_1' });
    expect(e).toBeInstanceOf(AppError);
    expect([e.code, e.message, e.requestId]).toEqual(['forbidden', 'the key lacks customers read', 'req_1']);
  });
  it('maps unknown codes to internal', () => {
    expect(AppError.from({ code: 'weird', message: 'x' }).code).toBe('internal');
  });
  it('takes strings and Errors (panics arrive as strings)', () => {
    expect(AppError.from('boom').message).toBe('boom');
    expect(AppError.from(new TypeError('x is undefined')).code).toBe('internal');
    expect(AppError.from(undefined).message).toBe('something went wrong');
  });
});

describe('call', () => {
  it('rejects with unavailable outside the Billfold window', async () => {
    (globalThis as { window?: unknown }).window = {};
    try {
      await expect(call(async () => 1)).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      delete (globalThis as { window?: unknown }).window;
    }
  });
  it('converts a rejected ErrorDTO into an AppError', async () => {
    (globalThis as { window?: unknown }).window = { go: {} };
    try {
      const p = call(() => Promise.reject({ code: 'invalid', message: 'bad id' }));
      await expect(p).rejects.toBeInstanceOf(AppError);
      await expect(p).rejects.toMatchObject({ code: 'invalid', message: 'bad id' });
      await expect(call(async () => 42)).resolves.toBe(42);
    } finally {
      delete (globalThis as { window?: unknown }).window;
    }
  });
});
