// Operator commands for the identity service, against its database (DATABASE_URL; by default the
// development one that `npm start` uses):
//   node dist/admin.js organisation add --id moh --name-ar "وزارة الصحة" --name-en "Ministry of Health" [--kind ministry|business]
//   node dist/admin.js machine-client add --organisation moh --name "Clinic bookings" --scope "notifications:send notifications:read"
//   node dist/admin.js relying-party add --organisation moh --name "Appointments" --redirect-uri https://moh.example/callback [--redirect-uri ...] [--issuer citizen|enterprise]
//   node dist/admin.js user add --organisation moh --email a.haddad@moh.gov.ps --name "Amal Haddad" --roles finance_officer[,developer,org_admin] --password "…"
//   node dist/admin.js citizen add --national-id 900000019 --password "…" [--phone +970599123456]
//     (until enrolment pages exist: an account for a person the register knows, alive, card valid)
//   node dist/admin.js keys rotate --issuer citizen|enterprise [--publish-for 7200]
// Each prints what it did as JSON. A machine client's secret is shown once, here.
// Organisations' admins manage their own clients through the identity API (/identity/v1); both
// go through clients/client-registry.ts, and both are audited (client_events; here as `operator`).
import { parseArgs } from 'node:util';
import { createKnex } from '@tamkeen/db';
import { parseNationalId } from '@tamkeen/citizen-input';
import { citizenAccounts } from './accounts/citizen-accounts.js';
import { enterpriseUsers, ROLES, type Role } from './accounts/enterprise-users.js';
import { hashPassword, passwordProblem } from './accounts/password.js';
import { addMachineClient, addOrganisation, addRelyingParty } from './clients/client-registry.js';
import { rotateSigningKeys, signingKeys } from './keys/signing-keys.js';
import { registryClient } from './registry/registry-client.js';
import { apiResources, machineClientScopes } from './oidc/resource-servers.js';

const USAGE = `usage:
  admin organisation add --id <id> --name-ar <name> --name-en <name> [--kind ministry|business]
  admin machine-client add --organisation <id> --name <name> --scope "<scope> <scope>..."
  admin relying-party add --organisation <id> --name <name> --redirect-uri <url> [--redirect-uri <url>...] [--issuer citizen|enterprise]
  admin user add --organisation <id> --email <address> --name <name> --roles <role>[,<role>...] --password <password>
  admin citizen add --national-id <9 digits> --password <password> [--phone <E.164>]
  admin keys rotate --issuer citizen|enterprise [--publish-for <seconds>]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    id: { type: 'string' },
    'name-ar': { type: 'string' },
    'name-en': { type: 'string' },
    kind: { type: 'string', default: 'ministry' },
    organisation: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string' },
    issuer: { type: 'string' },
    'publish-for': { type: 'string', default: '7200' },
    'redirect-uri': { type: 'string', multiple: true },
    'national-id': { type: 'string' },
    password: { type: 'string' },
    phone: { type: 'string' },
    email: { type: 'string' },
    roles: { type: 'string' },
  },
});

const knex = createKnex(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tamkeen_identity');
try {
  const command = positionals.join(' ');
  if (command === 'organisation add') {
    const { id, 'name-ar': nameAr, 'name-en': nameEn, kind } = values;
    if (!id || !/^[a-z0-9-]{2,40}$/.test(id)) fail('--id is required: 2 to 40 lower-case letters, digits or dashes');
    if (!nameAr || !nameEn) fail('--name-ar and --name-en are required');
    if (kind !== 'ministry' && kind !== 'business') fail('--kind must be ministry or business');
    if (await knex('organisations').where({ id }).first()) fail(`there is an organisation ${id} already: nothing was changed`);
    await addOrganisation(knex, { id, nameAr, nameEn, kind });
    process.stdout.write(`${JSON.stringify({ organisation: id })}\n`);
  } else if (command === 'machine-client add') {
    const { organisation, name, scope } = values;
    if (!organisation || !name || !scope) fail('--organisation, --name and --scope are required');
    // Never clients:* (staff-only: only an organisation admin's own login manages clients).
    const known = machineClientScopes(apiResources(''));
    const scopes = scope.split(/\s+/).filter(Boolean);
    const unknown = scopes.filter((s) => !known.includes(s));
    if (unknown.length) fail(`unknown scope(s): ${unknown.join(', ')}; known: ${known.join(', ')}`);
    if (!(await knex('organisations').where({ id: organisation }).first())) fail(`there is no organisation ${organisation}: add it first`);
    const { clientId, clientSecret } = await addMachineClient(knex, { organisationId: organisation, name, scopes });
    process.stdout.write(`${JSON.stringify({ client_id: clientId, client_secret: clientSecret, scope: scopes.join(' ') })}\n`);
  } else if (command === 'relying-party add') {
    const { organisation, name, 'redirect-uri': redirectUris = [] } = values;
    const issuer = values.issuer ?? 'citizen';
    if (issuer !== 'citizen' && issuer !== 'enterprise') fail('--issuer must be citizen or enterprise');
    if (!organisation || !name || redirectUris.length === 0) fail('--organisation, --name and at least one --redirect-uri are required');
    const bad = redirectUris.filter((uri) => !URL.canParse(uri) || !/^https?:$/.test(new URL(uri).protocol) || new URL(uri).hash);
    if (bad.length) fail(`not an http(s) URL without a fragment: ${bad.join(', ')}`);
    if (!(await knex('organisations').where({ id: organisation }).first())) fail(`there is no organisation ${organisation}: add it first`);
    const { clientId, clientSecret } = await addRelyingParty(knex, { organisationId: organisation, name, redirectUris, issuer });
    process.stdout.write(`${JSON.stringify({ client_id: clientId, client_secret: clientSecret, issuer, redirect_uris: redirectUris })}\n`);
  } else if (command === 'user add') {
    const { organisation, email, name, roles = '', password } = values;
    if (!organisation || !email || !name || !password) fail('--organisation, --email, --name and --password are required');
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) fail('--email is not an e-mail address');
    const wanted = roles.split(',').map((r) => r.trim()).filter(Boolean);
    const unknown = wanted.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (wanted.length === 0 || unknown.length) fail(`--roles must name one or more of ${ROLES.join(', ')}`);
    if (passwordProblem(password, email)) fail('--password: at least 10 characters, not common, not the e-mail address');
    if (!(await knex('organisations').where({ id: organisation }).first())) fail(`there is no organisation ${organisation}: add it first`);
    const users = enterpriseUsers(knex);
    if (await users.byEmail(email)) fail(`there is a user with the e-mail address ${email} already`);
    const user = await users.create({ organisationId: organisation, email, name, passwordHash: await hashPassword(password), roles: wanted as Role[] });
    process.stdout.write(`${JSON.stringify({ sub: user.id, organisation: user.organisationId, email: user.email, roles: user.roles, note: 'the authenticator app is linked at the first login' })}\n`);
  } else if (command === 'citizen add') {
    const { 'national-id': rawId, password, phone } = values;
    const parsed = parseNationalId(rawId);
    if (!parsed.ok) fail(`--national-id ${parsed.reason}`);
    if (!password || passwordProblem(password, parsed.nationalId)) fail(`--password is required: at least 10 characters, not common, not the ID number`);
    const [key] = await signingKeys(knex, 'x-road', ['ES256']);
    const register = registryClient({ baseUrl: process.env.REGISTRY_URL ?? 'http://127.0.0.1:4004', client: process.env.X_ROAD_CLIENT ?? 'PS/GOV/MOPAD/identity', key: key! });
    const person = await register.citizen(parsed.nationalId).catch((error: unknown) => fail(`the register could not be asked (is the platform running?): ${(error as Error).message}`));
    if (!person) fail('the register holds nobody with this ID number');
    if (person.status !== 'alive' || person.card_status !== 'valid') fail(`the register says this person is ${person.status} with a ${person.card_status} card: no account`);
    const account = await citizenAccounts(knex).create({
      nationalId: parsed.nationalId,
      nameAr: person.name.ar,
      nameEn: person.name.en,
      birthdate: person.date_of_birth,
      phoneNumber: phone ?? null,
      phoneNumberVerified: Boolean(phone),
      email: null,
      emailVerified: false,
      passwordHash: await hashPassword(password),
    });
    process.stdout.write(`${JSON.stringify({ sub: account.id, name: person.name })}\n`);
  } else if (command === 'keys rotate') {
    const { issuer, 'publish-for': publishFor } = values;
    if (issuer !== 'citizen' && issuer !== 'enterprise') fail('--issuer must be citizen or enterprise');
    const seconds = Number(publishFor);
    if (!Number.isInteger(seconds) || seconds < 0) fail('--publish-for must be a whole number of seconds');
    const rotated = await rotateSigningKeys(knex, issuer, seconds);
    process.stdout.write(`${JSON.stringify({ issuer, ...rotated, note: 'restart the identity service (each instance) to sign with the new keys' })}\n`);
  } else {
    fail(command ? `unknown command: ${command}` : 'a command is required');
  }
} finally {
  await knex.destroy();
}
