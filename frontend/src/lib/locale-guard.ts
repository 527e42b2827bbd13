// WebKitGTK reports navigator.language "C" when the process runs under the C
// or POSIX locale (LANG unset or LANG=C.UTF-8, common on servers and CI).
// "C" is not a BCP 47 tag, so every Intl constructor given it throws
// RangeError; uPlot builds one from navigator.language while its module
// loads, which would stop the whole bundle and leave a blank window. Imported
// first in main.ts, this replaces an invalid language with the first valid
// one the browser lists, or en-US.

export function validTag(tag: string | undefined): tag is string {
  if (!tag) return false;
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

export function guardLocale(nav: Navigator | undefined = globalThis.navigator): string | null {
  if (!nav || validTag(nav.language)) return null;
  const fallback = (nav.languages ?? []).find(validTag) ?? 'en-US';
  const proto = Object.getPrototypeOf(nav);
  Object.defineProperty(proto, 'language', { configurable: true, get: () => fallback });
  Object.defineProperty(proto, 'languages', { configurable: true, get: () => [fallback] });
  return fallback;
}

guardLocale();
