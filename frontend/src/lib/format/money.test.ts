import { describe, expect, it } from 'vitest';
import { formatMoney, isZeroDecimal, minorDigits, toDecimalString } from './money';

// Intl separates symbol and number with a no-break space in some locales.
const nb = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('toDecimalString', () => {
  it.each([
    [0, 2, '0.00'],
    [5, 2, '0.05'],
    [123456, 2, '1234.56'],
    [-123456, 2, '-1234.56'],
    [-5, 2, '-0.05'],
    [1000, 0, '1000'],
    [5000, 3, '5.000'],
    [9007199254740991, 2, '90071992547409.91'],
  ])('(%d, %d) -> %s', (amount, digits, want) => {
    expect(toDecimalString(amount, digits)).toBe(want);
  });

  it('refuses floats and unsafe integers', () => {
    expect(() => toDecimalString(12.5, 2)).toThrow(RangeError);
    expect(() => toDecimalString(2 ** 60, 2)).toThrow(RangeError);
  });

  it('takes bigint beyond 2^53', () => {
    expect(toDecimalString(123456789012345678901n, 2)).toBe('1234567890123456789.01');
  });
});

describe('currency digits', () => {
  it.each([
    ['usd', 2], ['USD', 2], ['eur', 2], ['jpy', 0], ['JPY', 0], ['krw', 0],
    ['clp', 0], ['vnd', 0], ['xof', 0], ['bhd', 3], ['kwd', 3], ['isk', 2], ['huf', 2],
  ])('%s has %d digits', (c, d) => {
    expect(minorDigits(c as string)).toBe(d);
  });
  it('isZeroDecimal', () => {
    expect(isZeroDecimal('JPY')).toBe(true);
    expect(isZeroDecimal('usd')).toBe(false);
  });
});

describe('formatMoney', () => {
  it.each([
    [123456, 'usd', '$1,234.56'],
    [0, 'usd', '$0.00'],
    [-500, 'eur', '-€5.00'],
    [1000, 'jpy', '¥1,000'],
    [1234567, 'krw', '₩1,234,567'],
    [5000, 'bhd', 'BHD 5.000'],
    [99, 'gbp', '£0.99'],
    [9007199254740991, 'usd', '$90,071,992,547,409.91'],
  ])('%d %s -> %s (en-US)', (amount, currency, want) => {
    expect(nb(formatMoney(amount, currency, { locale: 'en-US' }))).toBe(want);
  });

  it('follows the locale', () => {
    expect(nb(formatMoney(123456, 'eur', { locale: 'de-DE' }))).toBe('1.234,56 €');
    expect(nb(formatMoney(1000, 'jpy', { locale: 'ja-JP' }))).toMatch(/^[¥￥]1,000$/);
  });

  it('compact and signed', () => {
    expect(formatMoney(1234500, 'usd', { locale: 'en-US', compact: true })).toBe('$12.3K');
    expect(formatMoney(250000000, 'jpy', { locale: 'en-US', compact: true })).toBe('¥250M');
    expect(formatMoney(1500, 'usd', { locale: 'en-US', signed: true })).toBe('+$15.00');
    expect(formatMoney(-1500, 'usd', { locale: 'en-US', signed: true })).toBe('-$15.00');
    expect(formatMoney(0, 'usd', { locale: 'en-US', signed: true })).toBe('$0.00');
  });

  it('shows an unknown currency code instead of failing', () => {
    expect(formatMoney(1050, 'zz', { locale: 'en-US' })).toBe('10.50 ZZ');
  });
});
