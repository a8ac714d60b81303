import { describe, expect, it } from '@jest/globals';
import { applyMetadata, canonical, decodeParams } from './params.js';
import { StripeApiError } from './errors.js';

describe("Stripe's form encoding", () => {
  it('nests brackets into objects and indexed or empty brackets into lists', () => {
    expect(
      decodeParams({
        'card[number]': '4242424242424242',
        'card[exp_month]': '12',
        'metadata[order]': 'A-1',
        'expand[0]': 'latest_charge',
        'expand[1]': 'payment_method',
        'created[gte]': '10',
        amount: '100',
      }),
    ).toEqual({ card: { number: '4242424242424242', exp_month: '12' }, metadata: { order: 'A-1' }, expand: ['latest_charge', 'payment_method'], created: { gte: '10' }, amount: '100' });
    expect(decodeParams({ 'expand[]': ['a', 'b'] })).toEqual({ expand: ['a', 'b'] });
    expect(decodeParams({ expand: ['a', 'b'] })).toEqual({ expand: ['a', 'b'] });
    expect(decodeParams({ 'billing_details[address][city]': 'Ramallah' })).toEqual({ billing_details: { address: { city: 'Ramallah' } } });
  });

  it('refuses a malformed name with a Stripe error', () => {
    expect(() => decodeParams({ 'card]number[': 'x' })).toThrow(StripeApiError);
  });

  it('compares parameters regardless of their order', () => {
    expect(canonical(decodeParams({ a: '1', 'm[x]': '2' }))).toBe(canonical(decodeParams({ 'm[x]': '2', a: '1' })));
    expect(canonical(decodeParams({ a: '1' }))).not.toBe(canonical(decodeParams({ a: '2' })));
  });

  it('updates metadata as Stripe does: an empty value removes a key, an empty metadata removes all', () => {
    expect(applyMetadata({ a: '1', b: '2' }, decodeParams({ 'metadata[a]': '', 'metadata[c]': '3' }))).toEqual({ b: '2', c: '3' });
    expect(applyMetadata({ a: '1' }, decodeParams({ metadata: '' }))).toEqual({});
    expect(() => applyMetadata({}, decodeParams({ [`metadata[${'k'.repeat(41)}]`]: 'v' }))).toThrow(/40 characters/);
  });
});
