// Tokenizes a customer search query (the subset of Stripe's search syntax
// that backend/search parses) for highlighting in the search box. It never
// throws: a broken query yields an "error" token with the same one-line
// reasons the Go parser gives, so the box can show them while typing.
// Tokens are plain text pieces; render them as text, never as HTML.

export type TokenKind = 'word' | 'phrase' | 'field' | 'value' | 'negate' | 'keyword' | 'space' | 'error'

export interface Token {
  kind: TokenKind
  text: string
}

export const FIELDS = ['email', 'name', 'status', 'currency'] as const
export const STATUSES = ['active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'trialing', 'paused']

export interface Tokenized {
  tokens: Token[]
  error: string | null
}

function readQuoted(s: string, i: number): { end: number; closed: boolean } {
  const q = s[i]
  let j = i + 1
  while (j < s.length) {
    if (s[j] === '\\' && (s[j + 1] === q || s[j + 1] === '\\')) {
      j += 2
      continue
    }
    if (s[j] === q) return { end: j + 1, closed: true }
    j++
  }
  return { end: s.length, closed: false }
}

function isSpace(c: string): boolean {
  return /\s/.test(c)
}

export function tokenize(s: string): Tokenized {
  const tokens: Token[] = []
  let error: string | null = null
  const fail = (msg: string) => {
    if (error === null) error = msg
  }
  let i = 0
  while (i < s.length) {
    if (isSpace(s[i])) {
      let j = i
      while (j < s.length && isSpace(s[j])) j++
      tokens.push({ kind: 'space', text: s.slice(i, j) })
      i = j
      continue
    }
    const start = i
    if (s[i] === '-' && i + 1 < s.length && !isSpace(s[i + 1])) {
      tokens.push({ kind: 'negate', text: '-' })
      i++
    }
    if (s[i] === '"' || s[i] === "'") {
      const { end, closed } = readQuoted(s, i)
      if (!closed) fail(`unclosed ${s[i]} quote (opened at ${i})`)
      tokens.push({ kind: closed ? 'phrase' : 'error', text: s.slice(i, end) })
      i = end
      continue
    }
    let j = i
    while (j < s.length && !isSpace(s[j])) j++
    const word = s.slice(i, j)
    const m = /^(metadata\[(['"])(.*?)\2\]|[A-Za-z_]+):(.*)$/.exec(word)
    if (m) {
      const field = m[1]
      const known = field.startsWith('metadata[') || (FIELDS as readonly string[]).includes(field.toLowerCase())
      if (!known) fail(`unknown field "${field}" (at ${start}): use email, name, status, currency or metadata['key']`)
      tokens.push({ kind: known ? 'field' : 'error', text: field + ':' })
      let value = m[4]
      let end = j
      if (value.startsWith('"') || value.startsWith("'")) {
        const vs = i + field.length + 1
        const q = readQuoted(s, vs)
        if (!q.closed) fail(`unclosed ${s[vs]} quote (opened at ${vs})`)
        end = q.end
        value = s.slice(vs, end)
      }
      if (value === '') fail(`${field}: needs a value (at ${j})`)
      else if (field.toLowerCase() === 'status' && !STATUSES.includes(value.toLowerCase()))
        fail(`unknown subscription status "${value}"`)
      else if (field.toLowerCase() === 'currency' && !/^[A-Za-z]{3}$/.test(value))
        fail(`currency "${value}" is not a 3-letter ISO code`)
      if (value !== '') tokens.push({ kind: 'value', text: value })
      i = end
      continue
    }
    if (word.startsWith('metadata[')) fail(`metadata key must be quoted, as in metadata['plan']:'pro' (at ${start})`)
    if (word === 'OR') fail(`OR is not supported (at ${start}): terms are always ANDed`)
    tokens.push({ kind: word === 'AND' ? 'keyword' : word === 'OR' || word.startsWith('metadata[') ? 'error' : 'word', text: word })
    i = j
  }
  return { tokens, error }
}
