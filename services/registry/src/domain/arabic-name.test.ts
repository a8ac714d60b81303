import { describe, expect, it } from '@jest/globals';
import { comparableName } from './arabic-name.js';

describe('comparing names', () => {
  it('ignores diacritics, tatweel and the spellings of alef, ta marbuta and alef maqsura', () => {
    expect(comparableName('أحمد')).toBe(comparableName('احمد'));
    expect(comparableName('فاطِمَة')).toBe(comparableName('فاطمه'));
    expect(comparableName('مصطفى')).toBe(comparableName('مصطفي'));
    expect(comparableName('  Layla ')).toBe(comparableName('layla'));
    expect(comparableName('محمد')).not.toBe(comparableName('محمود'));
  });
});
