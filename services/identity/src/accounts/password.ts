import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * OWASP's recommended argon2id parameters (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane.
 * `algorithm: 2` is Argon2id (the library's const enum cannot be imported under verbatimModuleSyntax).
 */
const ARGON2ID = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFKC'), ARGON2ID);
}

export async function passwordMatches(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password.normalize('NFKC')).catch(() => false);
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
