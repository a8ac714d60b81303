import { randomUUID } from 'node:crypto';
import type { Knex } from '@tamkeen/db';
import type { Account, FindAccount } from 'oidc-provider';

/** What a person may do within their organisation. */
export const ROLES = ['org_admin', 'finance_officer', 'developer'] as const;
export type Role = (typeof ROLES)[number];

/** The API scopes each role may be granted in a staff member's access token. */
export const ROLE_SCOPES: Record<Role, readonly string[]> = {
  // Registers and manages the organisation's OIDC and machine clients (the identity API).
  org_admin: ['clients:read', 'clients:write'],
  finance_officer: ['payments:read', 'reconciliation:read', 'reconciliation:write'],
  developer: ['notifications:read', 'payments:read', 'clients:read'],
};

export const scopesOfRoles = (roles: readonly Role[]) => new Set(roles.flatMap((role) => ROLE_SCOPES[role]));

/**
 * The API scopes a staff member may be granted through a relying party of `clientOrganisationId`:
 * those their roles allow, and none at all through another organisation's relying party (a
 * business's console must not obtain tokens that act for a ministry's staff).
 */
export function staffApiScopes(staff: { organisationId: string; roles: readonly Role[] }, clientOrganisationId: string | undefined): Set<string> {
  return staff.organisationId === clientOrganisationId ? scopesOfRoles(staff.roles) : new Set();
}

export interface EnterpriseUser {
  id: string;
  organisationId: string;
  email: string;
  name: string;
  passwordHash: string;
  roles: Role[];
  disabled: boolean;
}

interface Row {
  id: string;
  organisation_id: string;
  email: string;
  name: string;
  password_hash: string;
  roles: Role[];
  disabled_at: Date | null;
}

const toUser = (r: Row): EnterpriseUser => ({ id: r.id, organisationId: r.organisation_id, email: r.email, name: r.name, passwordHash: r.password_hash, roles: r.roles, disabled: r.disabled_at !== null });

/** E-mail addresses are compared as typed, ignoring case and surrounding spaces. */
export const normalisedEmail = (email: string) => email.trim().toLowerCase();

export function enterpriseUsers(knex: Knex) {
  return {
    async byEmail(email: string): Promise<EnterpriseUser | undefined> {
      const row = await knex('enterprise_users').where({ email: normalisedEmail(email) }).first<Row | undefined>();
      return row && toUser(row);
    },
    async byId(id: string): Promise<EnterpriseUser | undefined> {
      const row = await knex('enterprise_users').where({ id }).first<Row | undefined>();
      return row && toUser(row);
    },
    async create(user: { organisationId: string; email: string; name: string; passwordHash: string; roles: Role[] }): Promise<EnterpriseUser> {
      const id = randomUUID();
      await knex('enterprise_users').insert({ id, organisation_id: user.organisationId, email: normalisedEmail(user.email), name: user.name, password_hash: user.passwordHash, roles: user.roles });
      return (await this.byId(id))!;
    },
    /** A new hash of the same password (made with today's parameters). */
    async replacePasswordHash(id: string, passwordHash: string): Promise<void> {
      await knex('enterprise_users').where({ id }).update({ password_hash: passwordHash, updated_at: knex.fn.now() });
    },
  };
}

export type EnterpriseUsers = ReturnType<typeof enterpriseUsers>;

/**
 * An enterprise user's claims: `sub` (the user's id), `name`, `email` (verified: the organisation
 * registered it), and, with the `openid` scope, `organisation_id` and `roles`, which every relying
 * party and API of the platform decides by.
 */
export function enterpriseClaims(users: EnterpriseUsers): FindAccount {
  return async (_ctx, sub): Promise<Account | undefined> => {
    const user = await users.byId(sub);
    if (!user || user.disabled) return undefined;
    return {
      accountId: user.id,
      claims: () => ({ sub: user.id, name: user.name, email: user.email, email_verified: true, organisation_id: user.organisationId, roles: user.roles }),
    };
  };
}
