// The local check of a Stripe API key, the same rule as backend.ParseAPIKey
// (backend/apikey.go): sk_ or rk_, test or live, then letters and digits.

export const API_KEY_FORMAT = /^(sk|rk)_(test|live)_[A-Za-z0-9]+$/;

export interface KeyCheck {
  ok: boolean;
  /** What is wrong and what to do; "" when ok. */
  message: string;
  mode?: 'test' | 'live';
  restricted?: boolean;
}

/** Checks a pasted key locally before it is sent to Stripe for verification. */
export function checkApiKey(raw: string): KeyCheck {
  const key = raw;
  if (key.trim() === '') return { ok: false, message: 'Paste a Stripe API key.' };
  if (key !== key.trim() || /\s/.test(key)) {
    return { ok: false, message: 'The key contains spaces or line breaks: paste only the key.' };
  }
  if (/^pk_(test|live)_/.test(key)) {
    return { ok: false, message: 'That is a publishable key (pk_): use a secret (sk_) or, better, a restricted (rk_) key.' };
  }
  if (!API_KEY_FORMAT.test(key)) {
    return {
      ok: false,
      message: 'That does not look like a Stripe API key: expected sk_test_, sk_live_, rk_test_ or rk_live_ followed by letters and digits.',
    };
  }
  const m = API_KEY_FORMAT.exec(key)!;
  return { ok: true, message: '', mode: m[2] as 'test' | 'live', restricted: m[1] === 'rk' };
}
