import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Knex } from '@tamkeen/db';

export const CODE_RULES = { digits: 6, validForMs: 5 * 60_000, maxWrongTries: 5, lockForMs: 15 * 60_000, resendAfterMs: 60_000 } as const;

export type Purpose = 'login' | 'enrol-phone' | 'enrol-email';
export type Channel = 'sms' | 'email';

export type Issued = { issued: true; code: string } | { issued: false; reason: 'too_soon' | 'locked'; retryAfterMs: number };
export type Checked = { ok: true } | { ok: false; reason: 'wrong' | 'expired' | 'locked' | 'none'; triesLeft?: number; retryAfterMs?: number };

interface Row {
  channel: Channel;
  code_hmac: string;
  sent_at: Date;
  expires_at: Date;
  wrong_tries: number;
  locked_until: Date | null;
  used_at: Date | null;
}

/** When the subject's codes for this purpose are locked until, on any channel (0: not locked). */
const lockedUntil = (rows: Row[]) => Math.max(0, ...rows.map((r) => r.locked_until?.getTime() ?? 0));

/** Wrong tries made at codes sent within this window count together (older ones are forgotten). */
const WRONG_TRIES_WINDOW_MS = CODE_RULES.lockForMs;

/**
 * One-time codes per subject (an account, or an enrolment), purpose and channel (SMS or e-mail).
 * `secret` keys the HMAC they are kept as. Each channel has its own code and its own resend
 * throttle. Wrong tries count together across channels and across new codes (a resend does not
 * give five more guesses, nor does switching channel): the fifth within 15 minutes locks every
 * channel's codes for that subject and purpose for 15 minutes; a right code clears the count.
 */
export function oneTimeCodes(knex: Knex, secret: string) {
  const hmac = (subject: string, purpose: Purpose, code: string) => createHmac('sha256', secret).update(`${subject}:${purpose}:${code}`).digest('base64url');
  /** The subject's rows for this purpose, every channel, locked for this transaction. */
  const rowsOf = (trx: Knex.Transaction, subject: string, purpose: Purpose) => trx('one_time_codes').where({ subject, purpose }).forUpdate().select<Row[]>('*');

  return {
    /** A new code, unless one was sent on this channel less than a minute ago or the codes are locked. */
    async issue(subject: string, purpose: Purpose, channel: Channel): Promise<Issued> {
      return knex.transaction(async (trx) => {
        const now = Date.now();
        const rows = await rowsOf(trx, subject, purpose);
        const until = lockedUntil(rows);
        if (until > now) return { issued: false, reason: 'locked', retryAfterMs: until - now };
        const last = rows.find((r) => r.channel === channel);
        if (last && !last.used_at && now - last.sent_at.getTime() < CODE_RULES.resendAfterMs) return { issued: false, reason: 'too_soon', retryAfterMs: CODE_RULES.resendAfterMs - (now - last.sent_at.getTime()) };
        const code = String(randomInt(0, 10 ** CODE_RULES.digits)).padStart(CODE_RULES.digits, '0');
        // The wrong tries at this channel's earlier code stand, unless they are old or a lock has run out.
        const keepsTries = last && !last.locked_until && now - last.sent_at.getTime() < WRONG_TRIES_WINDOW_MS;
        const row = { code_hmac: hmac(subject, purpose, code), sent_at: new Date(now), expires_at: new Date(now + CODE_RULES.validForMs), wrong_tries: keepsTries ? last.wrong_tries : 0, locked_until: null, used_at: null };
        await trx('one_time_codes').insert({ subject, purpose, channel, ...row }).onConflict(['subject', 'purpose', 'channel']).merge();
        // A lock that has run out is forgotten on the other channels too.
        if (until > 0) await trx('one_time_codes').where({ subject, purpose }).whereNot({ channel }).update({ locked_until: null, wrong_tries: 0 });
        return { issued: true, code };
      });
    },

    /** Checks a code typed by the citizen against the last one sent on `channel`; a right one is used up. */
    async check(subject: string, purpose: Purpose, channel: Channel, typed: string): Promise<Checked> {
      return knex.transaction(async (trx) => {
        const now = Date.now();
        const rows = await rowsOf(trx, subject, purpose);
        const row = rows.find((r) => r.channel === channel);
        if (!row || row.used_at) return { ok: false, reason: 'none' };
        const until = lockedUntil(rows);
        if (until > now) return { ok: false, reason: 'locked', retryAfterMs: until - now };
        if (row.expires_at.getTime() <= now) return { ok: false, reason: 'expired' };
        const given = Buffer.from(hmac(subject, purpose, typed.trim()));
        const stored = Buffer.from(row.code_hmac);
        const key = { subject, purpose, channel };
        if (given.length === stored.length && timingSafeEqual(given, stored)) {
          await trx('one_time_codes').where(key).update({ used_at: new Date(now) });
          await trx('one_time_codes').where({ subject, purpose }).update({ wrong_tries: 0 });
          return { ok: true };
        }
        // Every channel's recent wrong tries count: five in all lock them all.
        const recent = rows.filter((r) => r.channel !== channel && now - r.sent_at.getTime() < WRONG_TRIES_WINDOW_MS).reduce((sum, r) => sum + r.wrong_tries, 0);
        const wrongTries = row.wrong_tries + 1;
        const locked = recent + wrongTries >= CODE_RULES.maxWrongTries;
        await trx('one_time_codes').where(key).update({ wrong_tries: wrongTries, locked_until: locked ? new Date(now + CODE_RULES.lockForMs) : null });
        return locked ? { ok: false, reason: 'locked', retryAfterMs: CODE_RULES.lockForMs } : { ok: false, reason: 'wrong', triesLeft: CODE_RULES.maxWrongTries - recent - wrongTries };
      });
    },
  };
}

export type OneTimeCodes = ReturnType<typeof oneTimeCodes>;
