import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Knex } from '@tamkeen/db';

export const CODE_RULES = { digits: 6, validForMs: 5 * 60_000, maxWrongTries: 5, lockForMs: 15 * 60_000, resendAfterMs: 60_000 } as const;

export type Purpose = 'login' | 'enrol-phone';
export type Channel = 'sms' | 'email';

export type Issued = { issued: true; code: string } | { issued: false; reason: 'too_soon' | 'locked'; retryAfterMs: number };
export type Checked = { ok: true } | { ok: false; reason: 'wrong' | 'expired' | 'locked' | 'none'; triesLeft?: number; retryAfterMs?: number };

interface Row {
  code_hmac: string;
  sent_at: Date;
  expires_at: Date;
  wrong_tries: number;
  locked_until: Date | null;
  used_at: Date | null;
}

/** One-time codes per subject (an account, or an enrolment) and purpose. `secret` keys the HMAC they are kept as. */
export function oneTimeCodes(knex: Knex, secret: string) {
  const hmac = (subject: string, purpose: Purpose, code: string) => createHmac('sha256', secret).update(`${subject}:${purpose}:${code}`).digest('base64url');

  return {
    /** A new code, unless one was sent less than a minute ago or the codes are locked. */
    async issue(subject: string, purpose: Purpose, channel: Channel): Promise<Issued> {
      return knex.transaction(async (trx) => {
        const now = Date.now();
        const last = await trx('one_time_codes').where({ subject, purpose }).forUpdate().first<Row | undefined>();
        if (last?.locked_until && last.locked_until.getTime() > now) return { issued: false, reason: 'locked', retryAfterMs: last.locked_until.getTime() - now };
        if (last && !last.used_at && now - last.sent_at.getTime() < CODE_RULES.resendAfterMs) return { issued: false, reason: 'too_soon', retryAfterMs: CODE_RULES.resendAfterMs - (now - last.sent_at.getTime()) };
        const code = String(randomInt(0, 10 ** CODE_RULES.digits)).padStart(CODE_RULES.digits, '0');
        const row = { code_hmac: hmac(subject, purpose, code), channel, sent_at: new Date(now), expires_at: new Date(now + CODE_RULES.validForMs), wrong_tries: 0, locked_until: null, used_at: null };
        await trx('one_time_codes').insert({ subject: subject, purpose, ...row }).onConflict(['subject', 'purpose']).merge();
        return { issued: true, code };
      });
    },

    /** Checks a code typed by the citizen; a right one is used up. */
    async check(subject: string, purpose: Purpose, typed: string): Promise<Checked> {
      return knex.transaction(async (trx) => {
        const now = Date.now();
        const row = await trx('one_time_codes').where({ subject, purpose }).forUpdate().first<Row | undefined>();
        if (!row || row.used_at) return { ok: false, reason: 'none' };
        if (row.locked_until && row.locked_until.getTime() > now) return { ok: false, reason: 'locked', retryAfterMs: row.locked_until.getTime() - now };
        if (row.expires_at.getTime() <= now) return { ok: false, reason: 'expired' };
        const given = Buffer.from(hmac(subject, purpose, typed.trim()));
        const stored = Buffer.from(row.code_hmac);
        if (given.length === stored.length && timingSafeEqual(given, stored)) {
          await trx('one_time_codes').where({ subject, purpose }).update({ used_at: new Date(now) });
          return { ok: true };
        }
        const wrongTries = row.wrong_tries + 1;
        const locked = wrongTries >= CODE_RULES.maxWrongTries;
        await trx('one_time_codes').where({ subject, purpose }).update({ wrong_tries: wrongTries, locked_until: locked ? new Date(now + CODE_RULES.lockForMs) : null });
        return locked ? { ok: false, reason: 'locked', retryAfterMs: CODE_RULES.lockForMs } : { ok: false, reason: 'wrong', triesLeft: CODE_RULES.maxWrongTries - wrongTries };
      });
    },
  };
}

export type OneTimeCodes = ReturnType<typeof oneTimeCodes>;
