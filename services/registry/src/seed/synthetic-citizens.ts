import { checkDigitOf } from '@tamkeen/citizen-input';
import type { Citizen } from '../register/citizen.js';
import { FAMILY_NAMES, FEMALE_NAMES, GOVERNORATES, MALE_NAMES, type Name } from './names.js';

/** mulberry32: a small seeded generator, so that the same seed always gives the same register. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!, between: (low: number, high: number) => low + Math.floor(next() * (high - low + 1)) };
}

const iso = (year: number, month: number, day: number) => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

/**
 * The `index`-th synthetic citizen of the register seeded with `seed`. ID numbers are distinct for
 * every index below 10 million (seven of their digits step through the residues modulo 10^7), start
 * with 4 (West Bank) or 8 (Gaza) and never collide with the demo citizens (who start with 9).
 */
export function syntheticCitizen(index: number, seed = 1): Citizen {
  const random = generator(seed * 1_000_003 + index);
  const governorate = random.pick(GOVERNORATES);
  const sex = random.next() < 0.5 ? 'male' : 'female';
  const given = (list: readonly Name[]) => random.pick(list);
  const first = given(sex === 'male' ? MALE_NAMES : FEMALE_NAMES);
  const father = given(MALE_NAMES);
  const grandfather = given(MALE_NAMES);
  const family = random.pick(FAMILY_NAMES);
  const born = { year: random.between(1935, 2010), month: random.between(1, 12), day: random.between(1, 28) };
  const issued = Math.max(born.year + 16, 1996) + random.between(0, 12);
  const body = String((index * 7_919 + 1_234_567) % 10_000_000).padStart(7, '0');
  const firstEight = `${governorate.region === 'gaza' ? '8' : '4'}${body}`;
  return {
    nationalId: `${firstEight}${checkDigitOf(firstEight)}`,
    name: { ar: [first[0], father[0], grandfather[0], family[0]], en: [first[1], father[1], grandfather[1], family[1]] },
    dateOfBirth: iso(born.year, born.month, born.day),
    sex,
    motherFirstNameAr: given(FEMALE_NAMES)[0],
    placeOfBirth: random.pick(governorate.places),
    governorate: governorate.name,
    cardIssueDate: iso(Math.min(issued, 2025), random.between(1, 12), random.between(1, 28)),
    // About one in fifty has died; about one card in two hundred has been revoked.
    status: random.next() < 0.02 ? 'deceased' : 'alive',
    cardStatus: random.next() < 0.005 ? 'revoked' : 'valid',
  };
}
