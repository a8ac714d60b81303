import { describe, expect, it } from '@jest/globals';
import { logCapture } from '@tamkeen/testing';
import { createLogger, redactUrl, withRequestId } from './index.js';

describe('createLogger', () => {
  it('never writes secrets, codes, card numbers or national ID numbers', () => {
    const logs = logCapture();
    const logger = createLogger({ service: 'identity', destination: logs.destination });
    logger.info({
      password: 'hunter2',
      otp: '123456',
      card_number: '4242424242424242',
      national_id: '123456782',
      citizen: { nationalId: '123456782', name: 'Amal' },
      req: { headers: { authorization: 'Bearer abc.def', cookie: 'sid=1' } },
      client: { client_secret: 's3cr3t' },
    }, 'enrolment');
    const text = logs.text();
    for (const secret of ['hunter2', '123456', '4242424242424242', '123456782', 'abc.def', 'sid=1', 's3cr3t']) {
      expect(text).not.toContain(secret);
    }
    expect(logs.lines[0]).toMatchObject({ service: 'identity', level: 'info', msg: 'enrolment', citizen: { name: 'Amal' } });
  });

  it('logs an error by what it is, never by the values it carries', () => {
    const logs = logCapture();
    const logger = createLogger({ service: 'registry', destination: logs.destination });
    const duplicate = Object.assign(new Error('duplicate key value violates unique constraint "citizens_pkey"'), {
      code: '23505',
      constraint: 'citizens_pkey',
      table: 'citizens',
      detail: 'Key (national_id)=(123456782) already exists.',
      parameters: ['123456782', '+970599123456'],
    });
    logger.error({ err: new Error('insert failed', { cause: duplicate }) }, 'unhandled error');
    const text = logs.text();
    expect(text).not.toContain('123456782');
    expect(text).not.toContain('+970599123456');
    expect(logs.lines[0]?.err).toMatchObject({ message: 'insert failed', cause: { code: '23505', constraint: 'citizens_pkey', table: 'citizens' } });
  });

  it('adds the current request id to lines written while serving a request', () => {
    const logs = logCapture();
    const logger = createLogger({ service: 'payments', destination: logs.destination });
    withRequestId('req-7', () => logger.info('inside'));
    logger.info('outside');
    expect(logs.lines.map((l) => [l.msg, l.requestId])).toEqual([
      ['inside', 'req-7'],
      ['outside', undefined],
    ]);
  });
});

describe('redactUrl', () => {
  it('hides OAuth codes and tokens in query strings, keeping the rest', () => {
    expect(redactUrl('/auth/citizen/cb?code=SplxlOBe&state=xyz&lang=ar')).toBe('/auth/citizen/cb?code=redacted&state=redacted&lang=ar');
    // The PSP's return from 3-D Secure carries the intent's client secret.
    expect(redactUrl('/pay/x/return?payment_intent=pi_1&payment_intent_client_secret=pi_1_secret_2')).toBe('/pay/x/return?payment_intent=pi_1&payment_intent_client_secret=redacted');
    expect(redactUrl('/payments/v1/payments?status=created')).toBe('/payments/v1/payments?status=created');
  });

  it('replaces path segments shaped like a national ID number, in any digits', () => {
    expect(redactUrl('/r1/PS/GOV/MOI/registry/citizens/900000019')).toBe('/r1/PS/GOV/MOI/registry/citizens/redacted');
    expect(redactUrl('/x/٩٠٠٠٠٠٠١٩/y?a=1')).toBe('/x/redacted/y?a=1');
    expect(redactUrl('/payments/v1/payments/1234567890')).toBe('/payments/v1/payments/1234567890');
  });
});
