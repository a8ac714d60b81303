import { describe, expect, it } from '@jest/globals';
import { amountProblem, formatMoney, isCurrency } from './money.js';

describe('money', () => {
  it('takes shekels, dollars and dinars, nothing else', () => {
    expect(['ILS', 'USD', 'JOD'].every(isCurrency)).toBe(true);
    expect(['EUR', 'ils', '', 'constructor', 'toString', 42].some(isCurrency)).toBe(false);
  });

  it('is a whole, positive number of minor units, and the error says what a minor unit is for the currency', () => {
    expect(amountProblem(1500, 'ILS')).toBeUndefined();
    expect(amountProblem(12.5, 'ILS')).toMatch(/1\.50 ILS is 150/);
    expect(amountProblem(12.5, 'JOD')).toMatch(/1\.500 JOD is 1500/);
    expect(amountProblem('100', 'USD')).toMatch(/whole number/);
    expect(amountProblem(0, 'USD')).toBe('must be at least 1');
    expect(amountProblem(100_000_000, 'USD')).toMatch(/at most/);
    // Dinars are charged in tens of fils.
    expect(amountProblem(2_500, 'JOD')).toBeUndefined();
    expect(amountProblem(2_505, 'JOD')).toMatch(/multiple of 10/);
  });

  it('is written with the currency’s own decimals, in Arabic by default or English', () => {
    // A no-break space keeps the code and the number on one line.
    expect(formatMoney({ amount: 125_050, currency: 'ILS' }, 'en')).toBe('ILS\u00a01,250.50');
    expect(formatMoney({ amount: 12_345, currency: 'JOD' }, 'en')).toBe('JOD\u00a012.345');
    const arabic = formatMoney({ amount: 12_345, currency: 'JOD' }, 'ar');
    expect(arabic).toContain('١٢٫٣٤٥');
    expect(arabic).toMatch(/دينار/);
  });
});
