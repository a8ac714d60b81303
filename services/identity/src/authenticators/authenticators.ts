import type { Knex } from '@tamkeen/db';
import { generateSecret, generateURI, verify } from 'otplib';
import type { SecretBox } from '../keys/secret-box.js';
import { CODE_RULES } from '../one-time-codes/one-time-codes.js';

/** Codes a clock 30 seconds ahead or behind still produces are accepted (one step either way). */
const CLOCK_TOLERANCE_S = 30;

export type AuthenticatorCheck = { ok: true } | { ok: false; reason: 'wrong' | 'locked' | 'none'; retryAfterMs?: number };

interface Row {
  secret_sealed: string;
  last_time_step: string | null;
  wrong_tries: number;
  locked_until: Date | null;
}

/**
 * Authenticator apps (TOTP, RFC 6238; otplib): set up (a pending secret shown as a QR code, made
 * active by the first right code), then checked at login. A code is accepted once (the last time
 * step used is kept), and five wrong codes stop the app's codes for 15 minutes, as for SMS codes.
 * `subject` is an account id (a citizen's or an enterprise user's).
 */
export function authenticators(knex: Knex, box: SecretBox, issuer = 'Tamkeen') {
  const context = (subject: string) => `authenticator:${subject}`;

  /**
   * Checks `typed` against one row, keeping its replay guard and its wrong-try count. No lock and
   * no transaction: each write is one conditional UPDATE, so two requests racing with the same
   * code cannot both pass (only one moves `last_time_step` past the code's step), and racing wrong
   * codes all count.
   */
  async function checkRow(db: Knex | Knex.Transaction, subject: string, state: 'pending' | 'active', typed: string): Promise<AuthenticatorCheck> {
    const row = await db('authenticators').where({ subject, state }).first<Row | undefined>('secret_sealed', 'last_time_step', 'wrong_tries', 'locked_until');
    if (!row) return { ok: false, reason: 'none' };
    const now = Date.now();
    if (row.locked_until && row.locked_until.getTime() > now) return { ok: false, reason: 'locked', retryAfterMs: row.locked_until.getTime() - now };
    const token = typed.replace(/\s/g, '');
    const result = /^[0-9]{6}$/.test(token)
      ? await verify({
          secret: box.open(row.secret_sealed, context(subject)),
          token,
          epochTolerance: CLOCK_TOLERANCE_S,
          ...(row.last_time_step !== null ? { afterTimeStep: Number(row.last_time_step) } : {}),
        }).catch((error: unknown) => {
          // The last code used is ahead of this server's clock (another instance's clock runs
          // ahead): no code can be newer yet. A wrong code, not a failure.
          if ((error as { name?: string }).name === 'AfterTimeStepRangeExceededError') return { valid: false as const };
          throw error;
        })
      : { valid: false as const };
    if (result.valid && 'timeStep' in result) {
      const taken = await db('authenticators')
        .where({ subject, state })
        .andWhere((q) => q.whereNull('last_time_step').orWhere('last_time_step', '<', result.timeStep))
        .andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<=', db.fn.now()))
        .update({ last_time_step: result.timeStep, wrong_tries: 0, locked_until: null });
      // Another request took this code (or a lock began) since the row was read: this one is a replay.
      return taken === 1 ? { ok: true } : { ok: false, reason: 'wrong' };
    }
    const lockS = CODE_RULES.lockForMs / 1000;
    const [after] = await db('authenticators')
      .where({ subject, state })
      .update({
        wrong_tries: db.raw('case when wrong_tries + 1 >= ? then 0 else wrong_tries + 1 end', [CODE_RULES.maxWrongTries]),
        locked_until: db.raw('case when wrong_tries + 1 >= ? then now() + make_interval(secs => ?) else locked_until end', [CODE_RULES.maxWrongTries, lockS]),
      })
      .returning<{ locked_until: Date | null }[]>('locked_until');
    const lockedUntil = after?.locked_until?.getTime() ?? 0;
    return lockedUntil > now ? { ok: false, reason: 'locked', retryAfterMs: lockedUntil - now } : { ok: false, reason: 'wrong' };
  }

  return {
    /** Whether the subject has an authenticator app set up. */
    async has(subject: string): Promise<boolean> {
      return Boolean(await knex('authenticators').where({ subject, state: 'active' }).first('subject'));
    },

    /**
     * The app being set up in this login attempt (`attempt`): the secret (base32, for typing in),
     * and the otpauth:// URI the QR code carries. A reload in the same attempt shows the same QR;
     * any other attempt gets a new secret, so one shown to someone else is never linked.
     */
    async pending(subject: string, label: string, attempt: string): Promise<{ secret: string; uri: string }> {
      return knex.transaction(async (trx) => {
        const existing = await trx('authenticators').where({ subject, state: 'pending', attempt }).forUpdate().first<Row | undefined>();
        let secret: string;
        if (existing) {
          secret = box.open(existing.secret_sealed, context(subject));
        } else {
          secret = generateSecret();
          await trx('authenticators')
            .insert({ subject, state: 'pending', attempt, secret_sealed: box.seal(secret, context(subject)) })
            .onConflict(['subject', 'state'])
            .merge(['attempt', 'secret_sealed', 'last_time_step', 'wrong_tries', 'locked_until', 'created_at']);
        }
        return { secret, uri: generateURI({ issuer, label, secret }) };
      });
    },

    /** The first code from the app being set up in this attempt: right, and the app becomes the subject's. */
    async confirm(subject: string, typed: string, attempt: string): Promise<AuthenticatorCheck> {
      return knex.transaction(async (trx) => {
        // Locked until the end: another attempt cannot swap the pending secret between this check and the switch.
        if (!(await trx('authenticators').where({ subject, state: 'pending', attempt }).forUpdate().first('subject'))) return { ok: false, reason: 'none' };
        const checked = await checkRow(trx, subject, 'pending', typed);
        if (!checked.ok) return checked;
        await trx('authenticators').where({ subject, state: 'active' }).delete();
        await trx('authenticators').where({ subject, state: 'pending' }).update({ state: 'active', confirmed_at: trx.fn.now() });
        return checked;
      });
    },

    /** A code from the subject's app, at login. */
    check(subject: string, typed: string): Promise<AuthenticatorCheck> {
      return checkRow(knex, subject, 'active', typed);
    },
  };
}

export type Authenticators = ReturnType<typeof authenticators>;
