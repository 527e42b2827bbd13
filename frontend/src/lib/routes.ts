// The screens of the app and their place in the sidebar.
import type { IconName } from './components/base/icons';

export type RouteId = 'dashboard' | 'customers' | 'subscriptions' | 'invoices' | 'sync' | 'accounts' | 'settings';

export interface Route {
  id: RouteId;
  label: string;
  icon: IconName;
  group: 'Overview' | 'Billing' | 'Workspace';
}

export const ROUTES: readonly Route[] = [
  { id: 'dashboard', label: 'Dashboard', icon: 'dashboard', group: 'Overview' },
  { id: 'customers', label: 'Customers', icon: 'customers', group: 'Billing' },
  { id: 'subscriptions', label: 'Subscriptions', icon: 'subscriptions', group: 'Billing' },
  { id: 'invoices', label: 'Invoices', icon: 'invoices', group: 'Billing' },
  { id: 'sync', label: 'Sync', icon: 'sync', group: 'Workspace' },
  { id: 'accounts', label: 'Accounts', icon: 'accounts', group: 'Workspace' },
  { id: 'settings', label: 'Settings', icon: 'settings', group: 'Workspace' },
];

export const DEFAULT_ROUTE: RouteId = 'dashboard';

export function isRouteId(s: string): s is RouteId {
  return ROUTES.some((r) => r.id === s);
}

/** "#/customers" -> "customers"; anything unknown -> the dashboard. */
export function parseHash(hash: string): RouteId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return isRouteId(id) ? id : DEFAULT_ROUTE;
}

export function routeHref(id: RouteId): string {
  return `#/${id}`;
}

export function routeById(id: RouteId): Route {
  return ROUTES.find((r) => r.id === id) ?? ROUTES[0];
}
