// Architecture rules of the frontend (design/architecture.md, reliability.md
// "The webview"), checked on every `npm test`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('.', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const sources = walk(root)
  .filter((p) => /\.(ts|js|mjs|svelte)$/.test(p) && !p.endsWith('import-rules.test.ts'))
  .map((p) => ({ path: relative(root, p).split(sep).join('/'), text: readFileSync(p, 'utf8') }));

// import ... from '...wailsjs...', import('...wailsjs...'), export ... from '...wailsjs...'
const wailsImport = /(?:from\s*|import\s*\(?\s*)['"][^'"]*wailsjs[^'"]*['"]/;

describe('frontend rules', () => {
  it('finds the sources', () => {
    expect(sources.length).toBeGreaterThan(10);
    expect(sources.some((s) => s.path === 'lib/api/client.ts')).toBe(true);
  });

  it('only src/lib/api imports wailsjs', () => {
    const offenders = sources
      .filter((s) => !s.path.startsWith('lib/api/') && wailsImport.test(s.text))
      .map((s) => s.path);
    expect(offenders, 'import from $lib/api instead').toEqual([]);
  });

  it('the rule itself catches an import', () => {
    expect(wailsImport.test(`import { Info } from '../../wailsjs/go/app/AppService';`)).toBe(true);
    expect(wailsImport.test(`const m = await import("../wailsjs/runtime/runtime");`)).toBe(true);
    expect(wailsImport.test(`import { getInfo } from '$lib/api';`)).toBe(false);
  });

  it('no {@html} and no innerHTML: Stripe text is untrusted', () => {
    const offenders = sources.filter((s) => /\{@html|\.innerHTML\s*=|outerHTML\s*=|insertAdjacentHTML/.test(s.text)).map((s) => s.path);
    expect(offenders).toEqual([]);
  });

  it('no remote content: no http(s) URLs loaded by the bundle', () => {
    const offenders = sources
      .filter((s) => !s.path.endsWith('.test.ts'))
      .flatMap((s) => [...s.text.matchAll(/(?:src|href|url\()\s*=?\s*["']?(https?:)?\/\/[^"')\s]+/g)].map((m) => `${s.path}: ${m[0]}`))
      .filter((m) => !m.includes('www.w3.org/2000/svg'));
    expect(offenders).toEqual([]);
  });
});
