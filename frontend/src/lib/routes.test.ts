import { describe, expect, it } from 'vitest';
import { parseHash, routeById, routeHref, ROUTES } from './routes';

describe('routes', () => {
  it.each([
    ['', 'dashboard'],
    ['#', 'dashboard'],
    ['#/', 'dashboard'],
    ['#/customers', 'customers'],
    ['#customers', 'customers'],
    ['#/invoices/in_123', 'invoices'],
    ['#/sync?x=1', 'sync'],
    ['#/nope', 'dashboard'],
    ['#/__proto__', 'dashboard'],
  ])('%j -> %s', (hash, want) => {
    expect(parseHash(hash)).toBe(want);
  });
  it('round-trips every route', () => {
    for (const r of ROUTES) {
      expect(parseHash(routeHref(r.id))).toBe(r.id);
      expect(routeById(r.id)).toBe(r);
    }
  });
  it('lists the seven screens of the sidebar', () => {
    expect(ROUTES.map((r) => r.label)).toEqual(['Dashboard', 'Customers', 'Subscriptions', 'Invoices', 'Sync', 'Accounts', 'Settings']);
  });
});
