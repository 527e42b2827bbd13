import { describe, expect, it } from 'vitest';
import {
  barPercent, formatCount, formatDurationMs, formatEta, formatPercent, formatRate, formatSeconds, statusLine, typeLabel,
} from './sync';

describe('sync formatting', () => {
  it('formats rates', () => {
    expect(formatRate(0)).toBe('—');
    expect(formatRate(-1)).toBe('—');
    expect(formatRate(Number.NaN)).toBe('—');
    expect(formatRate(0.25)).toBe('0.3/s');
    expect(formatRate(12.54)).toBe('12.5/s');
    expect(formatRate(1840.4)).toBe('1,840/s');
  });
  it('formats seconds and ETAs', () => {
    expect(formatSeconds(-1)).toBe('');
    expect(formatSeconds(0)).toBe('0 s');
    expect(formatSeconds(59.4)).toBe('59 s');
    expect(formatSeconds(60)).toBe('1 min');
    expect(formatSeconds(185)).toBe('3 min 5 s');
    expect(formatSeconds(7440)).toBe('2 h 4 min');
    expect(formatSeconds(7200)).toBe('2 h');
    expect(formatEta(-1)).toBe('estimating…');
    expect(formatEta(0.4)).toBe('almost done');
    expect(formatEta(185)).toBe('about 3 min 5 s left');
    expect(formatEta(-1, true)).toBe('done');
  });
  it('formats durations', () => {
    expect(formatDurationMs(850)).toBe('850 ms');
    expect(formatDurationMs(12_300)).toBe('12 s');
    expect(formatDurationMs(-5)).toBe('—');
  });
  it('bounds percentages', () => {
    expect(barPercent(-1)).toBeNull();
    expect(barPercent(140)).toBe(100);
    expect(barPercent(45.6)).toBe(45.6);
    expect(formatPercent(-1)).toBe('');
    expect(formatPercent(45.6)).toBe('45%');
    expect(formatPercent(99.9)).toBe('99%');
    expect(formatPercent(99.9, true)).toBe('100%');
    expect(formatCount(12345)).toBe('12,345');
    expect(typeLabel('subscription_items')).toBe('subscription items');
  });
  it('says the status line', () => {
    const rel = (s: string) => `rel(${s})`;
    const date = (s: string) => `date(${s})`;
    const base = { state: 'idle', types: [], percent: -1, online: true, dataAsOf: '' };
    expect(statusLine(base, rel, date)).toBe('Never synced');
    expect(statusLine({ ...base, dataAsOf: 'T' }, rel, date)).toBe('Synced rel(T)');
    expect(statusLine({ ...base, online: false, dataAsOf: 'T' }, rel, date)).toBe('Offline, showing data from date(T)');
    expect(statusLine({ ...base, demo: true, dataAsOf: 'T' }, rel, date)).toBe('Demo snapshot from date(T)');
    const types = [
      { type: 'products', done: 10, total: 10, percent: 100, finished: true },
      { type: 'customers', done: 45, total: 100, percent: 45.2, finished: false },
      { type: 'invoices', done: 0, total: -1, percent: -1, finished: false },
    ];
    expect(statusLine({ ...base, state: 'running', phase: 'backfill', types }, rel, date)).toBe('Syncing customers 45%');
    expect(statusLine({ ...base, state: 'running', phase: 'events', types }, rel, date)).toBe('Syncing recent changes');
    expect(statusLine({ ...base, state: 'cancelling', types }, rel, date)).toBe('Cancelling sync…');
    expect(statusLine({ ...base, state: 'running', types: [] }, rel, date)).toBe('Syncing…');
  });
});
