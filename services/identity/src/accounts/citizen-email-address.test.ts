import { describe, expect, it } from '@jest/globals';
import { parseEmailAddress } from './citizen-email-address.js';

describe('a citizen\'s e-mail address', () => {
  it('is trimmed, its domain in lower case (and in ASCII), the name before the @ as typed', () => {
    expect(parseEmailAddress('  Layla.Haddad@Example.PS ')).toEqual({ ok: true, address: 'Layla.Haddad@example.ps' });
    expect(parseEmailAddress('omar+tamkeen@bücher.de')).toEqual({ ok: true, address: 'omar+tamkeen@xn--bcher-kva.de' });
  });

  it('names what is wrong', () => {
    expect(parseEmailAddress('   ')).toEqual({ ok: false, problem: 'emailMissing' });
    expect(parseEmailAddress('layla.example.com')).toEqual({ ok: false, problem: 'emailNoAt' });
    expect(parseEmailAddress('layla@')).toEqual({ ok: false, problem: 'emailNoAt' });
    expect(parseEmailAddress('@example.com')).toEqual({ ok: false, problem: 'emailNoAt' });
    expect(parseEmailAddress('layla@localhost')).toEqual({ ok: false, problem: 'emailBadDomain' });
    expect(parseEmailAddress('layla@exa mple.com')).toEqual({ ok: false, problem: 'emailBadDomain' });
    expect(parseEmailAddress('layla@example..com')).toEqual({ ok: false, problem: 'emailBadDomain' });
    expect(parseEmailAddress('lay la@example.com')).toEqual({ ok: false, problem: 'emailInvalid' });
    expect(parseEmailAddress('layla.@example.com')).toEqual({ ok: false, problem: 'emailInvalid' });
  });

  it('is at most 254 characters, the part before the @ at most 64', () => {
    const domain = `${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.${'g'.repeat(60)}.ps`;
    expect(parseEmailAddress(`${'a'.repeat(254 - domain.length - 1)}@${domain}`)).toMatchObject({ ok: true });
    expect(parseEmailAddress(`${'a'.repeat(255 - domain.length - 1)}@${domain}`)).toEqual({ ok: false, problem: 'emailTooLong' });
    expect(parseEmailAddress(`${'a'.repeat(65)}@example.com`)).toEqual({ ok: false, problem: 'emailTooLong' });
  });
});
