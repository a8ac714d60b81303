import { describe, expect, it } from '@jest/globals';
import { parseNationalId } from '@tamkeen/citizen-input';
import { DEMO_CITIZENS } from './demo-citizens.js';
import { GOVERNORATES } from './names.js';
import { syntheticCitizen } from './synthetic-citizens.js';

describe('the synthetic register', () => {
  it('is the same for the same seed, and another for another seed', () => {
    expect(syntheticCitizen(42, 1)).toEqual(syntheticCitizen(42, 1));
    expect(syntheticCitizen(42, 2)).not.toEqual(syntheticCitizen(42, 1));
  });

  it('gives 100,000 citizens distinct, valid ID numbers that no demo citizen has, across every governorate', () => {
    const ids = new Set<string>();
    const governorates = new Set<string>();
    let deceased = 0;
    for (let i = 0; i < 100_000; i++) {
      const citizen = syntheticCitizen(i);
      ids.add(citizen.nationalId);
      governorates.add(citizen.governorate);
      if (citizen.status === 'deceased') deceased++;
      if (i % 997 === 0) expect(parseNationalId(citizen.nationalId)).toEqual({ ok: true, nationalId: citizen.nationalId });
    }
    expect(ids.size).toBe(100_000);
    for (const demo of DEMO_CITIZENS) expect(ids.has(demo.nationalId)).toBe(false);
    expect(governorates).toEqual(new Set(GOVERNORATES.map((g) => g.name)));
    expect(deceased).toBeGreaterThan(1_000);
    expect(deceased).toBeLessThan(3_000);
  });

  it('writes four-part Arabic names with their transliteration, born before their card was issued', () => {
    const citizen = syntheticCitizen(7);
    expect(citizen.name.ar).toHaveLength(4);
    expect(citizen.name.ar.every((part) => /^[\u0600-\u06ff ]+$/.test(part))).toBe(true);
    expect(citizen.name.en.every((part) => /^[A-Za-z' -]+$/.test(part))).toBe(true);
    expect(citizen.cardIssueDate > citizen.dateOfBirth).toBe(true);
  });

  it('has the demo citizens the README lists: one deceased, one whose card is revoked', () => {
    expect(DEMO_CITIZENS.map((c) => c.nationalId)).toEqual(['900000019', '900000027', '900000035', '900000043', '900000050']);
    expect(DEMO_CITIZENS.filter((c) => c.status === 'deceased').map((c) => c.name.en[0])).toEqual(['Mahmoud']);
    expect(DEMO_CITIZENS.filter((c) => c.cardStatus === 'revoked').map((c) => c.name.en[0])).toEqual(['Rania']);
  });
});
