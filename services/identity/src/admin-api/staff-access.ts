import { bearerTokenOf, Forbidden, insufficientScope, type AccessTokenVerifier } from '@tamkeen/http-kit';
import type { RequestHandler, Response } from 'express';
import { z } from 'zod';
import { ROLE_SCOPES, ROLES, scopesOfRoles, type EnterpriseUsers } from '../accounts/enterprise-users.js';
import type { Actor } from '../clients/client-events.js';

export type ClientScope = 'clients:read' | 'clients:write';

/** The staff member a request of the admin API acts for. */
export interface StaffMember extends Actor {
  organisationId: string;
}

const STAFF = 'tamkeen:staff-member';
const staffId = z.uuid();

/** The staff member `requireStaff` let through. */
export function staffOf(res: Response): StaffMember {
  const staff = res.locals[STAFF] as StaffMember | undefined;
  if (!staff) throw new Error('staffOf() used on a route without requireStaff()');
  return staff;
}

const rolesWith = (scope: ClientScope) => ROLES.filter((role) => ROLE_SCOPES[role].includes(scope)).join(' or ');

/**
 * Lets through a request that a staff member makes with their own login: a valid access token
 * whose `sub` is an active enterprise user of the token's organisation, with `scope` both in the
 * token and still allowed by the user's roles (checked now, not only when the token was issued).
 * A machine client's token (client credentials: its `sub` is the client) is a 403, whatever its scopes.
 */
export function requireStaff(verify: AccessTokenVerifier, users: EnterpriseUsers, scope: ClientScope): RequestHandler {
  return async (req, res, next) => {
    const caller = await verify(bearerTokenOf(req));
    const isPerson = caller.subject !== undefined && caller.subject !== caller.clientId && staffId.safeParse(caller.subject).success;
    if (!isPerson) {
      throw new Forbidden('Only an organisation admin’s own login may manage clients: this token was issued to a machine client (client credentials), not to a person.', { code: 'staff_login_required' });
    }
    const user = await users.byId(caller.subject!);
    if (!user || user.disabled || user.organisationId !== caller.organisationId) {
      throw new Forbidden('The staff account this token was issued to is disabled or no longer belongs to this organisation.', { code: 'account_disabled' });
    }
    if (!caller.scopes.has(scope) || !scopesOfRoles(user.roles).has(scope)) {
      throw insufficientScope([scope], `This needs the ${scope} scope, which only the ${rolesWith(scope)} role gives; log in again with it if you hold that role.`);
    }
    res.locals[STAFF] = { sub: user.id, organisationId: user.organisationId } satisfies StaffMember;
    next();
  };
}
