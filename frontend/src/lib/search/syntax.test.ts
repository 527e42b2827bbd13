import { describe, expect, it } from 'vitest'
import { tokenize } from './syntax'

const kinds = (q: string) => tokenize(q).tokens.filter((t) => t.kind !== 'space').map((t) => `${t.kind}:${t.text}`)

describe('search syntax tokens', () => {
  it('splits words, phrases, fields and exclusions', () => {
    expect(kinds('jane "the boss" -status:canceled')).toEqual([
      'word:jane',
      'phrase:"the boss"',
      'negate:-',
      'field:status:',
      'value:canceled',
    ])
    expect(kinds("metadata['plan']:'pro plus' AND email:a@b.co")).toEqual([
      "field:metadata['plan']:",
      "value:'pro plus'",
      'keyword:AND',
      'field:email:',
      'value:a@b.co',
    ])
  })
  it('joins back to the query exactly', () => {
    for (const q of ['  jane   doe ', `name:'O\\'Brien' 🎉 Zoë`, '<img src=x onerror=alert(1)>', '12:30 -']) {
      expect(tokenize(q).tokens.map((t) => t.text).join('')).toBe(q)
    }
  })
  it('reports the Go parser reasons', () => {
    expect(tokenize('"open').error).toMatch(/unclosed " quote/)
    expect(tokenize('foo:bar').error).toMatch(/unknown field "foo"/)
    expect(tokenize('status:dead').error).toMatch(/unknown subscription status/)
    expect(tokenize('currency:euro').error).toMatch(/3-letter/)
    expect(tokenize('email:').error).toMatch(/needs a value/)
    expect(tokenize('a OR b').error).toMatch(/OR is not supported/)
    expect(tokenize('metadata[plan]:x').error).toMatch(/must be quoted/)
    expect(tokenize('jane status:past_due currency:EUR').error).toBeNull()
  })
})
