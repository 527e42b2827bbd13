// The current screen, kept in the location hash so Reload keeps it.
import { parseHash, routeHref, type RouteId } from '../routes';

class Navigation {
  current = $state<RouteId>('dashboard');

  /** Follows the location hash; returns the cleanup function. */
  start(): () => void {
    const sync = () => (this.current = parseHash(window.location.hash));
    sync();
    window.addEventListener('hashchange', sync);
    return () => window.removeEventListener('hashchange', sync);
  }

  go(id: RouteId): void {
    if (window.location.hash !== routeHref(id)) window.location.hash = routeHref(id);
    this.current = id;
  }
}

export const navigation = new Navigation();
