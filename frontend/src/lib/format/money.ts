// Money arrives from Go as an integer amount in the currency's minor unit
// (cents; none for JPY) with its ISO currency code. It is never a float:
// formatting builds an exact decimal string and hands it to Intl.

/** Stripe's zero-decimal currencies (amounts are whole units). */
const ZERO_DECIMAL = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga',
  'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);

/** Stripe's three-decimal currencies (amounts are thousandths). */
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Number of minor-unit digits Stripe uses for the currency. */
export function minorDigits(currency: string): number {
  const c = currency.toLowerCase();
  if (ZERO_DECIMAL.has(c)) return 0;
  if (THREE_DECIMAL.has(c)) return 3;
  return 2;
}

export function isZeroDecimal(currency: string): boolean {
  return ZERO_DECIMAL.has(currency.toLowerCase());
}

/** The exact decimal string of an amount in minor units: (123456, 2) -> "1234.56". */
export function toDecimalString(amount: number | bigint, digits: number): string {
  if (typeof amount === 'number' && !Number.isSafeInteger(amount)) {
    throw new RangeError(`money amount must be a safe integer of minor units, got ${amount}`);
  }
  let n = BigInt(amount);
  const negative = n < 0n;
  if (negative) n = -n;
  let s = n.toString();
  if (digits > 0) {
    s = s.padStart(digits + 1, '0');
    s = `${s.slice(0, -digits)}.${s.slice(-digits)}`;
  }
  return negative ? `-${s}` : s;
}

export interface MoneyFormatOptions {
  locale?: string;
  /** Compact notation for charts and tiles: $12.3K. */
  compact?: boolean;
  /** Show a + for positive amounts (deltas such as MRR movements). */
  signed?: boolean;
}

const cache = new Map<string, Intl.NumberFormat>();

function formatter(locale: string | undefined, currency: string, digits: number, o: MoneyFormatOptions): Intl.NumberFormat {
  const key = [locale ?? '', currency, digits, o.compact ? 1 : 0, o.signed ? 1 : 0].join('|');
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: currency.toUpperCase(),
      currencyDisplay: 'symbol',
      notation: o.compact ? 'compact' : 'standard',
      minimumFractionDigits: o.compact ? 0 : digits,
      maximumFractionDigits: o.compact ? 1 : digits,
      signDisplay: o.signed ? 'exceptZero' : 'auto',
    });
    cache.set(key, f);
  }
  return f;
}

/**
 * Formats an amount in minor units: formatMoney(123456, 'usd') -> "$1,234.56",
 * formatMoney(1000, 'jpy') -> "¥1,000". An unknown currency code still shows
 * the amount, followed by the code in capitals.
 */
export function formatMoney(amount: number | bigint, currency: string, options: MoneyFormatOptions = {}): string {
  const digits = minorDigits(currency);
  const decimal = toDecimalString(amount, digits);
  try {
    // Intl formats decimal strings exactly (no float rounding on large amounts).
    return formatter(options.locale, currency, digits, options).format(decimal as unknown as number);
  } catch {
    return `${decimal} ${currency.toUpperCase()}`;
  }
}
