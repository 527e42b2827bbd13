import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, parseTime, relativeTime } from './dates';

const now = new Date('2026-03-04T12:00:00Z');
const ago = (sec: number) => new Date(now.getTime() - sec * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

describe('parseTime', () => {
  it.each(['', 'yesterday', '2026-03-04', '2026-13-45T99:00:00Z', '1700000000'])('rejects %j', (s) => {
    expect(parseTime(s)).toBeNull();
  });
  it('accepts RFC 3339 with Z, offsets and fractions', () => {
    expect(parseTime('2026-03-04T05:06:07Z')?.toISOString()).toBe('2026-03-04T05:06:07.000Z');
    expect(parseTime('2026-03-04T06:06:07+01:00')?.toISOString()).toBe('2026-03-04T05:06:07.000Z');
    expect(parseTime('2026-03-04T05:06:07.250Z')?.toISOString()).toBe('2026-03-04T05:06:07.250Z');
  });
});

describe('formatDate', () => {
  it('formats in the locale and zone', () => {
    expect(formatDate('2026-03-04T05:06:07Z', { locale: 'en-US', timeZone: 'UTC' })).toBe('Mar 4, 2026');
    expect(formatDate('2026-03-04T23:30:00Z', { locale: 'en-US', timeZone: 'Asia/Tokyo' })).toBe('Mar 5, 2026');
    expect(formatDateTime('2026-03-04T05:06:07Z', { locale: 'en-US', timeZone: 'UTC' }).replace(/\u202f/g, ' ')).toBe('Mar 4, 2026, 5:06 AM');
  });
  it('shows a dash for never', () => {
    expect(formatDate('')).toBe('—');
    expect(formatDateTime('nope')).toBe('—');
  });
});

describe('relativeTime', () => {
  it.each([
    [0, 'just now'],
    [44, 'just now'],
    [90, '2 minutes ago'],
    [180, '3 minutes ago'],
    [3600, '1 hour ago'],
    [5 * 3600, '5 hours ago'],
    [26 * 3600, 'yesterday'],
    [3 * 86400, '3 days ago'],
    [14 * 86400, '2 weeks ago'],
    [60 * 86400, '2 months ago'],
    [400 * 86400, 'last year'],
    [-7200, 'in 2 hours'],
  ])('%d s ago -> %s', (sec, want) => {
    expect(relativeTime(ago(sec), now, { locale: 'en' })).toBe(want);
  });
  it('says never for an empty time', () => {
    expect(relativeTime('', now)).toBe('never');
    expect(relativeTime('', now, { never: 'not yet' })).toBe('not yet');
  });
});
