import { describe, expect, it } from 'vitest';
import { guardLocale, validTag } from './locale-guard';

class FakeNavigator {
  get language(): string {
    return 'C';
  }
  get languages(): readonly string[] {
    return ['C', 'de-DE'];
  }
}

describe('locale guard', () => {
  it('tells valid tags from the C locale', () => {
    expect(validTag('en-US')).toBe(true);
    expect(validTag('C')).toBe(false);
    expect(validTag('')).toBe(false);
  });

  it('replaces an invalid navigator.language with the first valid one listed', () => {
    const nav = new FakeNavigator() as unknown as Navigator;
    expect(() => new Intl.NumberFormat(nav.language)).toThrow(RangeError);
    expect(guardLocale(nav)).toBe('de-DE');
    expect(nav.language).toBe('de-DE');
    expect(nav.languages).toEqual(['de-DE']);
    expect(() => new Intl.NumberFormat(nav.language)).not.toThrow();
  });

  it('leaves a valid language alone', () => {
    const nav = { language: 'fr-FR', languages: ['fr-FR'] } as unknown as Navigator;
    expect(guardLocale(nav)).toBeNull();
    expect(nav.language).toBe('fr-FR');
  });
});
