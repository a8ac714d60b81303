import { describe, expect, it } from '@jest/globals';
import { smsSegments } from './sms-segments.js';

describe('smsSegments', () => {
  it('sends plain English as GSM-7, one part up to 160 characters', () => {
    expect(smsSegments('Your code is 123456')).toEqual({ encoding: 'GSM-7', units: 19, parts: 1, remainingInPart: 141 });
    expect(smsSegments('a'.repeat(160))).toMatchObject({ parts: 1, remainingInPart: 0 });
  });

  it('splits GSM-7 into parts of 153 beyond 160', () => {
    expect(smsSegments('a'.repeat(161))).toMatchObject({ encoding: 'GSM-7', units: 161, parts: 2 });
    expect(smsSegments('a'.repeat(306))).toMatchObject({ parts: 2, remainingInPart: 0 });
    expect(smsSegments('a'.repeat(307))).toMatchObject({ parts: 3 });
  });

  it('counts extension characters (€, [, ], {, }, ~, ^, |, \\) twice', () => {
    expect(smsSegments('€10')).toMatchObject({ encoding: 'GSM-7', units: 4 });
    expect(smsSegments('{'.repeat(80))).toMatchObject({ units: 160, parts: 1 });
    expect(smsSegments('{'.repeat(81))).toMatchObject({ units: 162, parts: 2 });
  });

  it('never splits an escaped character across parts', () => {
    // 152 plain characters then '€': it cannot take the last septet of part one, so it starts part two.
    const body = `${'a'.repeat(152)}€${'a'.repeat(152)}`;
    expect(smsSegments(body)).toMatchObject({ units: 306, parts: 3 });
  });

  it('makes any Arabic letter UCS-2, with 70 in one part and 67 per part beyond', () => {
    expect(smsSegments('رمز التحقق الخاص بك هو 123456')).toMatchObject({ encoding: 'UCS-2', units: 29, parts: 1 });
    expect(smsSegments('ع'.repeat(70))).toMatchObject({ parts: 1, remainingInPart: 0 });
    expect(smsSegments('ع'.repeat(71))).toMatchObject({ parts: 2 });
    expect(smsSegments('ع'.repeat(134))).toMatchObject({ parts: 2, remainingInPart: 0 });
    expect(smsSegments(`Code 123456 ع`)).toMatchObject({ encoding: 'UCS-2' });
  });

  it('counts an emoji as two UTF-16 units and keeps it whole', () => {
    expect(smsSegments('👍')).toMatchObject({ encoding: 'UCS-2', units: 2 });
    expect(smsSegments(`${'ع'.repeat(66)}👍`)).toMatchObject({ units: 68, parts: 1 });
    expect(smsSegments(`${'ع'.repeat(70)}👍`)).toMatchObject({ units: 72, parts: 2 });
  });

  it('treats characters outside GSM 03.38 (curly quotes, Arabic-Indic digits) as UCS-2', () => {
    expect(smsSegments('It’s done').encoding).toBe('UCS-2');
    expect(smsSegments('١٢٣').encoding).toBe('UCS-2');
  });

  it('has no parts for an empty body', () => {
    expect(smsSegments('')).toMatchObject({ units: 0, parts: 0 });
  });
});
