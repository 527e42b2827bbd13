// The only module that touches the Wails bindings at runtime: it checks that
// they exist and converts every failure into an AppError.
import { AppError, backendUnavailable } from './errors';

declare global {
  interface Window {
    go?: Record<string, unknown>;
    runtime?: Record<string, unknown>;
  }
}

/** True when the page runs inside Billfold (bindings injected by Wails). */
export function hasBackend(): boolean {
  return typeof window !== 'undefined' && !!window.go;
}

/** Runs a binding call; rejects with an AppError. */
export async function call<T>(fn: () => Promise<T>): Promise<T> {
  if (!hasBackend()) throw backendUnavailable();
  try {
    return await fn();
  } catch (e) {
    throw AppError.from(e);
  }
}
