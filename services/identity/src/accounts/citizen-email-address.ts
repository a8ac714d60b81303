import { domainToASCII } from 'node:url';
import { z } from 'zod';

/** RFC 5321: a path is at most 256 octets with its angle brackets, so an address at most 254; a local part at most 64. */
const EMAIL_MAX_LENGTH = 254;
const LOCAL_PART_MAX_LENGTH = 64;

export type EmailAddressProblem = 'emailMissing' | 'emailNoAt' | 'emailBadDomain' | 'emailTooLong' | 'emailInvalid';
export type EmailAddressResult = { ok: true; address: string } | { ok: false; problem: EmailAddressProblem };

// The notifications service's own check (zod's), so that no address accepted here is refused there;
// its domain part alone, to say which half is wrong. A top-level domain in letters: an
// internationalised one (xn--…) is refused there, so here too.
const deliverable = z.email();
const DOMAIN = /^(?:[a-z0-9][a-z0-9-]*\.)+[a-z]{2,}$/;

/**
 * A citizen's e-mail address as typed: trimmed, the domain in lower case (and an internationalised
 * domain in its ASCII form, as SMTP carries it); the part before the @ as typed, since only the
 * receiving server may read it case-insensitively. Each problem is named, for the page to say.
 */
export function parseEmailAddress(typed: string): EmailAddressResult {
  const text = typed.trim();
  if (!text) return { ok: false, problem: 'emailMissing' };
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return { ok: false, problem: 'emailNoAt' };
  const local = text.slice(0, at);
  // '' when the part after the @ cannot be a host name at all.
  const domain = domainToASCII(text.slice(at + 1));
  if (!DOMAIN.test(domain)) return { ok: false, problem: 'emailBadDomain' };
  const address = `${local}@${domain}`;
  if (address.length > EMAIL_MAX_LENGTH || local.length > LOCAL_PART_MAX_LENGTH) return { ok: false, problem: 'emailTooLong' };
  if (!deliverable.safeParse(address).success) return { ok: false, problem: 'emailInvalid' };
  return { ok: true, address };
}
