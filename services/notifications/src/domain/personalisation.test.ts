import { describe, expect, it } from '@jest/globals';
import { personalise, placeholdersOf } from './personalisation.js';

describe('placeholdersOf', () => {
  it('lists each placeholder once, as first written', () => {
    expect(placeholdersOf('Dear ((First Name)), your code is ((code)). ((first name)) again.')).toEqual(['First Name', 'code']);
    expect(placeholdersOf('عزيزي ((الاسم))، رمزك ((code))')).toEqual(['الاسم', 'code']);
    expect(placeholdersOf('No placeholders (really) here')).toEqual([]);
  });
});

describe('personalise', () => {
  it('fills the body and the subject, matching names whatever their case and spacing', () => {
    const result = personalise(
      { subject: 'Receipt ((reference))', body: 'Dear ((first  name)), you paid ((amount)).' },
      { 'First Name': 'Amal', amount: '150.00 ILS', REFERENCE: 'MOH-1' },
    );
    expect(result).toEqual({ ok: true, texts: { subject: 'Receipt MOH-1', body: 'Dear Amal, you paid 150.00 ILS.' } });
  });

  it('fills Arabic templates and numbers', () => {
    expect(personalise({ body: 'رمز التحقق: ((code))' }, { code: 482913 })).toEqual({ ok: true, texts: { body: 'رمز التحقق: 482913' } });
  });

  it('does not expand placeholders inside a value', () => {
    expect(personalise({ body: 'Hello ((name))' }, { name: '((code))', code: '1' })).toEqual({ ok: true, texts: { body: 'Hello ((code))' } });
  });

  it('names every missing placeholder, and every value that is not text or a number', () => {
    expect(personalise({ subject: '((reference))', body: '((name)) ((code)) ((when))' }, { code: { nested: true }, when: null, name: 'x' })).toEqual({
      ok: false,
      missing: ['reference'],
      invalid: ['code', 'when'],
    });
  });

  it('ignores values no placeholder uses', () => {
    expect(personalise({ body: 'Hi' }, { unused: 'x' })).toEqual({ ok: true, texts: { body: 'Hi' } });
  });
});
