// Event names and payloads sent by the Go side (app/events.go mirrors these).
import { EventsOn } from '../../../wailsjs/runtime/runtime';
import { hasBackend } from './bridge';
import type { Account, DemoStatus, SyncDetail, SyncStatus } from './types';

export const EVENTS = {
  syncStatus: 'sync:status',
  accountsChanged: 'accounts:changed',
  navigate: 'app:navigate',
  accountCurrent: 'accounts:current',
  demoProgress: 'demo:progress',
  syncProgress: 'sync:progress',
} as const;

export interface EventPayloads {
  'sync:status': SyncStatus;
  'accounts:changed': { accounts: Account[] };
  'app:navigate': { route: string };
  'accounts:current': { id: string };
  'demo:progress': DemoStatus;
  'sync:progress': SyncDetail;
}

export type EventName = keyof EventPayloads;

/**
 * Subscribes to a backend event; returns the unsubscribe function. Outside
 * Billfold's window there are no events and this does nothing.
 */
export function on<K extends EventName>(name: K, handler: (payload: EventPayloads[K]) => void): () => void {
  if (!hasBackend() || !window.runtime) return () => {};
  return EventsOn(name, (payload: EventPayloads[K]) => handler(payload));
}
