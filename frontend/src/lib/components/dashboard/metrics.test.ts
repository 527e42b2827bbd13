import { describe, expect, it } from 'vitest';
import {
  balanced,
  heat,
  isDay,
  kpiChange,
  minorToDecimal,
  presetRange,
  rangeProblem,
  stackMovements,
  toCSV,
  type KPI,
  type MonthRow,
} from './metrics';

const today = new Date('2026-03-04T12:00:00Z');

describe('ranges', () => {
  it('presets end today', () => {
    expect(presetRange('this_month', today)).toEqual({ from: '2026-03-01', to: '2026-03-04' });
    expect(presetRange('last_30_days', today)).toEqual({ from: '2026-02-03', to: '2026-03-04' });
    expect(presetRange('12_months', today)).toEqual({ from: '2025-04-01', to: '2026-03-04' });
    expect(presetRange('all_time', today, '2021-06-01')).toEqual({ from: '2021-06-01', to: '2026-03-04' });
  });
  it('checks custom ranges', () => {
    expect(isDay('2024-02-29')).toBe(true);
    expect(isDay('2023-02-29')).toBe(false);
    expect(rangeProblem({ from: '2024-02-30', to: '2024-03-01' })).toMatch(/start/);
    expect(rangeProblem({ from: '2024-03-01', to: '2024-02-01' })).toMatch(/before/);
    expect(rangeProblem({ from: '2024-01-01', to: '2024-01-31' })).toBeNull();
  });
});

const kpi = (o: Partial<KPI>): KPI => ({ key: 'mrr', label: 'MRR', kind: 'money', value: null, previous: null, rate: null, previousRate: null, ...o });

describe('kpiChange', () => {
  it('money: delta and percent', () => {
    expect(kpiChange(kpi({ value: 49500, previous: 40000 }))).toEqual({ delta: 9500, percent: 23.75, direction: 'up', good: true });
  });
  it('rates: percentage points, lower churn is good', () => {
    const c = kpiChange(kpi({ key: 'customer_churn', kind: 'percent', rate: 28.57, previousRate: 50 }));
    expect(c).toEqual({ delta: -21.43, percent: null, direction: 'down', good: true });
  });
  it('undefined values and zero bases', () => {
    expect(kpiChange(kpi({ value: 100, previous: null })).direction).toBe('none');
    expect(kpiChange(kpi({ value: 100, previous: 0 })).percent).toBeNull();
    expect(kpiChange(kpi({ value: 5, previous: 5 })).good).toBeNull();
  });
});

const may: MonthRow = {
  month: '2024-05', startMrr: 40000, new: 7000, expansion: 5000, reactivation: 2500, contraction: 1000, churn: 4000,
  endMrr: 49500, startSubscribers: 5, endSubscribers: 6, newSubscribers: 2, churnedSubscribers: 2,
  customerChurnRate: 28.57, grossMrrChurnRate: 12.5, netMrrChurnRate: -6.25, nrr: 102.5, grr: 90, arpu: 8250, ltv: null,
};

describe('movements', () => {
  it('golden example 8 balances and stacks gains up, losses down', () => {
    expect(balanced(may)).toBe(true);
    const s = stackMovements([may]);
    expect(s.new[0]).toEqual([0, 7000]);
    expect(s.expansion[0]).toEqual([7000, 12000]);
    expect(s.reactivation[0]).toEqual([12000, 14500]);
    expect(s.contraction[0]).toEqual([-1000, 0]);
    expect(s.churn[0]).toEqual([-5000, -1000]);
  });
});

describe('csv', () => {
  it('quotes, escapes and defuses formulas', () => {
    expect(toCSV(['plan', 'mrr'], [['Pro, yearly', '12.00'], ['=HYPERLINK("x")', '-3.50'], ['say "hi"', null]])).toBe(
      'plan,mrr\r\n"Pro, yearly",12.00\r\n"\'=HYPERLINK(""x"")",-3.50\r\n"say ""hi""",\r\n',
    );
  });
  it('minor units to decimals, zero-decimal currencies', () => {
    expect(minorToDecimal(44576, 2)).toBe('445.76');
    expect(minorToDecimal(-5, 2)).toBe('-0.05');
    expect(minorToDecimal(1200, 0)).toBe('1200');
    expect(minorToDecimal(1234567, 3)).toBe('1234.567');
  });
  it('heat', () => {
    expect(heat(null)).toBeNull();
    expect(heat(150)).toBe(1);
    expect(heat(42)).toBe(0.42);
  });
});
