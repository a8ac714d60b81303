import type { Account, FindAccount } from 'oidc-provider';
import type { CitizenAccounts } from './citizen-accounts.js';

/**
 * A citizen's claims: `sub` is the account's id (stable, never the ID number); the name in Arabic
 * (`name`, `name#ar`) and English (`name#en`); `phone_number` and `email`, each with its
 * `_verified` flag, only with the `phone` and `email` scopes; `national_id` only with the
 * `national_id` scope (oidc-provider releases claims by scope: oidc/provider.ts).
 */
export function citizenClaims(accounts: CitizenAccounts): FindAccount {
  return async (_ctx, sub): Promise<Account | undefined> => {
    const account = await accounts.byId(sub);
    if (!account) return undefined;
    return {
      accountId: account.id,
      claims: () => ({
        sub: account.id,
        name: account.nameAr,
        'name#ar': account.nameAr,
        'name#en': account.nameEn,
        birthdate: account.birthdate,
        locale: 'ar',
        phone_number: account.phoneNumber ?? undefined,
        phone_number_verified: account.phoneNumber ? account.phoneNumberVerified : undefined,
        email: account.email ?? undefined,
        email_verified: account.email ? account.emailVerified : undefined,
        national_id: account.nationalId,
      }),
    };
  };
}
