import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * Argon2id at one of the five configurations OWASP's Password Storage Cheat Sheet lists as equally
 * strong (19 MiB × 2 passes, 12 MiB × 3, 9 MiB × 4, ...): 12 MiB, 3 passes, 1 lane. Here it costs a
 * quarter less CPU per check than 19 MiB × 2 (bench/identity prints both), and a login's password
 * check is the largest single cost of a login. `algorithm: 2` is Argon2id (the library's const
 * enum cannot be imported under verbatimModuleSyntax).
 */
export const ARGON2ID = { algorithm: 2, memoryCost: 12_288, timeCost: 3, parallelism: 1 } as const;

/** How a hash made with today's parameters begins (PHC string format). */
const CURRENT_PARAMETERS = `$argon2id$v=19$m=${ARGON2ID.memoryCost},t=${ARGON2ID.timeCost},p=${ARGON2ID.parallelism}$`;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFKC'), ARGON2ID);
}

/**
 * Whether the password matches the stored hash. A hash made with other parameters than today's is
 * replaced through `rehash` once the password has matched (the only moment the password is known).
 */
export async function passwordMatches(passwordHash: string, password: string, rehash?: (newHash: string) => Promise<void>): Promise<boolean> {
  const matches = await verify(passwordHash, password.normalize('NFKC')).catch(() => false);
  if (matches && rehash && !passwordHash.startsWith(CURRENT_PARAMETERS)) await rehash(await hashPassword(password));
  return matches;
}

let decoy: Promise<string> | undefined;

/**
 * Checks a password against a hash nobody knows the password of: run when there is no account, so
 * that "no such account" takes as long as "wrong password" and accounts cannot be found by timing.
 */
export async function spendDecoyCheck(password: string): Promise<false> {
  decoy ??= hashPassword(randomBytes(24).toString('base64url'));
  await passwordMatches(await decoy, password);
  return false;
}

/** Why a new password is refused, or undefined when it is acceptable (NIST SP 800-63B: length, not composition rules). */
export function passwordProblem(password: string, nationalId: string): string | undefined {
  if ([...password].length < 10) return 'too_short';
  if ([...password].length > 128) return 'too_long';
  if (password.includes(nationalId) || /^(.)\1+$/.test(password) || /^(0123456789|1234567890|password1234?|qwertyuiop)/i.test(password)) return 'too_common';
  return undefined;
}
