import { z } from 'zod';

/**
 * The treasury's bank accounts whose statements are imported, from `TREASURY_ACCOUNTS`: a JSON
 * list of `{ "account": IBAN or account number, "currency": ISO 4217, "name": "…" }`, e.g.
 *
 *   TREASURY_ACCOUNTS='[{"account":"PS92PALS000000000400123456701","currency":"ILS","name":"Treasury ILS"},
 *                       {"account":"PS44PALS000000000400123456702","currency":"USD","name":"Treasury USD"}]'
 *
 * A statement is accepted only for one of them, in its currency. A statement names its account
 * by IBAN (camt Acct/Id/IBAN, or an MT940 :25: that is one) or by another identifier (camt
 * Othr/Id, MT940 :25: such as `BANKCODE/ACCOUNTNUMBER`); both sides are compared without spaces,
 * in capitals, and an MT940 :25: that ends with the account's currency (`NL20INGB0001234567EUR`,
 * as some banks write it) names that account too. Unset: no statement can be imported (each is
 * refused, saying so). A list in the environment rather than a table: the treasury's accounts
 * change with a deployment, not at run time, and a wrong one refuses to start.
 */
export interface TreasuryAccount {
  account: string;
  currency: string;
  name: string;
}

export const normaliseAccount = (value: string): string => value.replace(/\s+/g, '').toUpperCase();

const treasuryAccountSchema = z
  .object({
    account: z.string().trim().min(1, { message: 'account must be an IBAN or account number' }),
    currency: z.string().regex(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as ILS' }),
    name: z.string().trim().min(1, { message: 'name must say which account it is' }),
  })
  .strict();

export const treasuryAccounts = () =>
  z
    .string()
    .default('[]')
    .transform((value, ctx): TreasuryAccount[] => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON list of {"account", "currency", "name"}' });
        return z.NEVER;
      }
      const result = z.array(treasuryAccountSchema).safeParse(parsed);
      if (!result.success) {
        ctx.addIssue({ code: 'custom', message: `must be a JSON list of {"account", "currency", "name"}: ${result.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}` });
        return z.NEVER;
      }
      const seen = new Set<string>();
      for (const account of result.data) {
        const key = normaliseAccount(account.account);
        if (seen.has(key)) {
          ctx.addIssue({ code: 'custom', message: `names the account ${account.account} twice` });
          return z.NEVER;
        }
        seen.add(key);
      }
      return result.data;
    });

/** The treasury account a statement names, or undefined. */
export function findTreasuryAccount(accounts: readonly TreasuryAccount[], named: { iban: string | null; other: string | null }): TreasuryAccount | undefined {
  const wanted = [named.iban, named.other].filter((v): v is string => Boolean(v)).map(normaliseAccount);
  for (const account of accounts) {
    const key = normaliseAccount(account.account);
    if (wanted.some((w) => w === key || w === `${key}${account.currency}`)) return account;
  }
  return undefined;
}

/**
 * How bank credits are matched to the PSP's payouts (statements/payout-matching.ts), from
 * `BANK_MATCHING_RULES`, a JSON object of any of these (the rest keep their defaults):
 *
 * | rule | default | means |
 * | --- | --- | --- |
 * | `windowDaysBefore` | 1 | a credit may be valued this many days before the payout's arrival date |
 * | `windowDaysAfter` | 3 | … and this many days after it; a paid payout with no credit once the statements reach its arrival date + this is `unmatched_payout` |
 * | `amountTolerance` | 0 | minor units a credit (or the sum of a split) may differ from the payout (bank charges); 0: exactly |
 * | `matchWithoutReference` | true | a credit that names no payout may match on amount, currency and date alone; false: only credits naming the payout (trace id or statement descriptor) match |
 * | `maxParts` | 4 | the most credits one payout may be split over (one-to-many), and the most payouts one credit may pay (many-to-one) |
 * | `maxCandidates` | 12 | a split or a batch is looked for among at most this many unmatched credits (payouts) in the window, so that the search stays small; beyond, only credits naming the payouts are combined |
 */
export interface MatchingRules {
  windowDaysBefore: number;
  windowDaysAfter: number;
  amountTolerance: number;
  matchWithoutReference: boolean;
  maxParts: number;
  maxCandidates: number;
}

export const DEFAULT_MATCHING_RULES: MatchingRules = Object.freeze({
  windowDaysBefore: 1,
  windowDaysAfter: 3,
  amountTolerance: 0,
  matchWithoutReference: true,
  maxParts: 4,
  maxCandidates: 12,
});

const rulesSchema = z
  .object({
    windowDaysBefore: z.number().int().min(0).max(31),
    windowDaysAfter: z.number().int().min(0).max(31),
    amountTolerance: z.number().int().min(0),
    matchWithoutReference: z.boolean(),
    maxParts: z.number().int().min(1).max(10),
    maxCandidates: z.number().int().min(1).max(20),
  })
  .partial()
  .strict();

export const matchingRules = () =>
  z
    .string()
    .default('{}')
    .transform((value, ctx): MatchingRules => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of matching rules (windowDaysBefore, windowDaysAfter, amountTolerance, matchWithoutReference, maxParts, maxCandidates)' });
        return z.NEVER;
      }
      const result = rulesSchema.safeParse(parsed);
      if (!result.success) {
        ctx.addIssue({ code: 'custom', message: `has a wrong rule: ${result.error.issues.map((i) => `${i.path.join('.') || '(object)'} ${i.message}`).join('; ')}` });
        return z.NEVER;
      }
      return { ...DEFAULT_MATCHING_RULES, ...result.data };
    });

/** The largest statement file taken (bytes): a day of a million entries in camt.053 is well under it. */
export const DEFAULT_STATEMENT_MAX_BYTES = 2 * 1024 ** 3;
