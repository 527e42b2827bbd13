// Every failure of a backend call becomes an AppError with a code. The codes
// are backend's (backend/errors.go) plus "unavailable" when the Go side is
// not reachable at all (the page runs outside Billfold's window).

export type ErrorCode =
  | 'invalid'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'unavailable'
  | 'conflict'
  | 'corrupt'
  | 'disk'
  | 'keyring'
  | 'canceled'
  | 'internal';

const KNOWN = new Set<string>([
  'invalid', 'not_found', 'unauthorized', 'forbidden', 'rate_limited', 'unavailable',
  'conflict', 'corrupt', 'disk', 'keyring', 'canceled', 'internal',
]);

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly requestId?: string;

  constructor(code: ErrorCode, message: string, requestId?: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.requestId = requestId;
  }

  /** Converts whatever a failed call rejected with into an AppError. */
  static from(e: unknown): AppError {
    if (e instanceof AppError) return e;
    if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
      const o = e as { code: unknown; message: unknown; requestId?: unknown };
      const code = typeof o.code === 'string' && KNOWN.has(o.code) ? (o.code as ErrorCode) : 'internal';
      const message = typeof o.message === 'string' && o.message ? o.message : 'something went wrong';
      const requestId = typeof o.requestId === 'string' && o.requestId ? o.requestId : undefined;
      return new AppError(code, message, requestId);
    }
    if (typeof e === 'string') return new AppError('internal', e || 'something went wrong');
    if (e instanceof Error) return new AppError('internal', e.message || 'something went wrong');
    return new AppError('internal', 'something went wrong');
  }
}

/** The error when the page runs without Billfold's Go side (e.g. plain `vite`). */
export function backendUnavailable(): AppError {
  return new AppError('unavailable', 'The Billfold backend is not reachable: open this screen in the Billfold window (wails dev or the built app).');
}
