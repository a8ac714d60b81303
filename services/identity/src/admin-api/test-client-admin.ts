import request from 'supertest';
import { enterpriseUsers, type Role } from '../accounts/enterprise-users.js';
import { hashPassword } from '../accounts/password.js';
import { addOrganisation, addRelyingParty } from '../clients/client-registry.js';
import { testIdentity, type TestIdentity } from '../test-identity.js';
import { loginStaff, RP_ORIGIN, type RelyingPartyCredentials, type StaffLogin } from '../test-staff.js';

export const ORGANISATIONS = {
  mol: { nameAr: 'وزارة العمل', nameEn: 'Ministry of Labour' },
  moh: { nameAr: 'وزارة الصحة', nameEn: 'Ministry of Health' },
} as const;
export type OrganisationId = keyof typeof ORGANISATIONS;

export interface StaffMember {
  sub: string;
  organisation: OrganisationId;
  login: StaffLogin;
  /** The access token for the identity API from their login (the scopes their roles allow). */
  token: string;
}

export interface ClientAdminWorld {
  identity: TestIdentity;
  /** Each organisation's console: the enterprise relying party its staff log in through (registered by the operator). */
  consoles: Record<OrganisationId, RelyingPartyCredentials>;
  staff: Record<string, StaffMember>;
  /** The identity API as `token` calls it. */
  api(token: string): {
    get(path: string): request.Test;
    post(path: string, body?: object): request.Test;
    patch(path: string, body: object): request.Test;
    delete(path: string): request.Test;
  };
  close(): Promise<void>;
}

const PASSWORD = 'olive-press-2026';

/**
 * Identity with two ministries, each with a console relying party, and the staff named here, each
 * logged in for real through their organisation's console asking for the identity API's scopes.
 */
export async function clientAdminWorld(label: string, people: Record<string, { organisation: OrganisationId; roles: Role[] }>): Promise<ClientAdminWorld> {
  const identity = await testIdentity(label);
  const { knex } = identity.stores;
  const consoles = {} as Record<OrganisationId, RelyingPartyCredentials>;
  for (const [id, names] of Object.entries(ORGANISATIONS) as Array<[OrganisationId, (typeof ORGANISATIONS)[OrganisationId]]>) {
    await addOrganisation(knex, { id, ...names, kind: 'ministry' });
    const redirectUri = `${RP_ORIGIN}${id}/console/callback`;
    const rp = await addRelyingParty(knex, { organisationId: id, name: 'Console', redirectUris: [redirectUri], issuer: 'enterprise' });
    consoles[id] = { ...rp, redirectUri };
  }
  const passwordHash = await hashPassword(PASSWORD);
  const staff: Record<string, StaffMember> = {};
  for (const [name, { organisation, roles }] of Object.entries(people)) {
    const email = `${name}@${organisation}.gov.ps`;
    const user = await enterpriseUsers(knex).create({ organisationId: organisation, email, name, passwordHash, roles });
    const login = await loginStaff(identity, consoles[organisation], { email, password: PASSWORD }, { scope: 'openid clients:read clients:write', resource: `${identity.url}/identity/v1` });
    staff[name] = { sub: user.id, organisation, login, token: login.tokens.access_token };
  }
  const app = identity.app;
  return {
    identity,
    consoles,
    staff,
    api: (token) => ({
      get: (path) => request(app).get(path).set('Authorization', `Bearer ${token}`),
      post: (path, body) => request(app).post(path).set('Authorization', `Bearer ${token}`).send(body),
      patch: (path, body) => request(app).patch(path).set('Authorization', `Bearer ${token}`).send(body),
      delete: (path) => request(app).delete(path).set('Authorization', `Bearer ${token}`),
    }),
    close: () => identity.close(),
  };
}
