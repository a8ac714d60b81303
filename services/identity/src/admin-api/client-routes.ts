import type { Knex } from '@tamkeen/db';
import { accessTokenVerifier, Conflict, jsonBody, NotFound, resource, ValidationFailed } from '@tamkeen/http-kit';
import type { IRouter, RequestHandler } from 'express';
import { enterpriseUsers } from '../accounts/enterprise-users.js';
import { kindOf } from '../clients/client.js';
import { clientEventsOf } from '../clients/client-events.js';
import { addMachineClient, addRelyingParty, changeClient, ClientHasNoSecret, removeClient, rotateClientSecret } from '../clients/client-registry.js';
import { clientRepository } from '../clients/client-repository.js';
import type { IdentityProviders } from '../identity-providers.js';
import { verificationKeys } from '../keys/verification-keys.js';
import { parseClientEdit, parseNewClient } from './client-input.js';
import { clientEventView, clientView } from './client-view.js';
import { providerCheck } from './provider-check.js';
import { requireStaff, staffOf } from './staff-access.js';

const BASE = '/identity/v1/clients';
const MAX_CLIENT_ID = 100;

export interface ClientAdminDeps {
  knex: Knex;
  /** The platform's public origin: the issuer is <publicUrl>/auth/enterprise, this API <publicUrl>/identity/v1. */
  publicUrl: string;
  providers: IdentityProviders;
  bodyLimit: string;
}

function noSuchClient(clientId: string) {
  return new NotFound(`Your organisation has no client ${clientId}.`);
}

/** The path's client id; one too long to be any client's is simply not found. */
function clientIdOf(params: Record<string, unknown>): string {
  const clientId = String(params.clientId);
  if (clientId.length > MAX_CLIENT_ID) throw noSuchClient(clientId.slice(0, MAX_CLIENT_ID));
  return clientId;
}

// Answers carry secrets or say who may do what: no cache keeps them.
const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * The organisations' admin API for their OIDC and machine clients (openapi/identity.yaml): a staff
 * member's own login, their organisation's clients only (another's are not found).
 */
export function clientAdminRoutes(router: IRouter, { knex, publicUrl, providers, bodyLimit }: ClientAdminDeps): void {
  // Identity's own enterprise keys, from PostgreSQL: no HTTP round trip to its own JWKS.
  const verify = accessTokenVerifier({ keys: verificationKeys(knex, 'enterprise'), issuer: `${publicUrl}/auth/enterprise`, audience: `${publicUrl}/identity/v1` });
  const users = enterpriseUsers(knex);
  const read = requireStaff(verify, users, 'clients:read');
  const write = requireStaff(verify, users, 'clients:write');
  const json = jsonBody(bodyLimit);
  const check = providerCheck(providers);

  router.use(BASE, noStore);

  resource(router, BASE, {
    get: [
      read,
      async (_req, res) => {
        const clients = await clientRepository.list(knex, staffOf(res).organisationId);
        res.json({ clients: clients.map(clientView) });
      },
    ],
    post: [
      write,
      json,
      async (req, res) => {
        const staff = staffOf(res);
        const input = parseNewClient(req.body);
        const options = { actor: staff, check };
        const { clientId, clientSecret } =
          input.kind === 'machine'
            ? await addMachineClient(knex, { organisationId: staff.organisationId, ...input }, options)
            : await addRelyingParty(knex, { organisationId: staff.organisationId, ...input }, options);
        const created = (await clientRepository.find(knex, staff.organisationId, clientId))!;
        res
          .status(201)
          .location(`${BASE}/${clientId}`)
          .json({ ...clientView(created), ...(clientSecret ? { client_secret: clientSecret } : {}) });
      },
    ],
  });

  resource(router, `${BASE}/:clientId`, {
    get: [
      read,
      async (req, res) => {
        const clientId = clientIdOf(req.params);
        const client = await clientRepository.find(knex, staffOf(res).organisationId, clientId);
        if (!client) throw noSuchClient(clientId);
        res.json(clientView(client));
      },
    ],
    patch: [
      write,
      json,
      async (req, res) => {
        const staff = staffOf(res);
        const clientId = clientIdOf(req.params);
        const current = await clientRepository.find(knex, staff.organisationId, clientId);
        if (!current) throw noSuchClient(clientId);
        const edit = parseClientEdit(kindOf(current.metadata), req.body);
        if (edit.jwks && current.metadata.token_endpoint_auth_method !== 'private_key_jwt') {
          throw new ValidationFailed([{ name: 'jwks', reason: 'this client authenticates with a secret, not keys: register a new client with jwks to use private_key_jwt' }]);
        }
        const changed = await changeClient(knex, staff.organisationId, clientId, edit, { actor: staff, check });
        if (!changed) throw noSuchClient(clientId);
        res.json(clientView(changed));
      },
    ],
    delete: [
      write,
      async (req, res) => {
        const staff = staffOf(res);
        const clientId = clientIdOf(req.params);
        if (!(await removeClient(knex, staff.organisationId, clientId, { actor: staff }))) throw noSuchClient(clientId);
        res.status(204).end();
      },
    ],
  });

  resource(router, `${BASE}/:clientId/secret`, {
    post: [
      write,
      async (req, res) => {
        const staff = staffOf(res);
        const clientId = clientIdOf(req.params);
        let clientSecret: string | undefined;
        try {
          clientSecret = await rotateClientSecret(knex, staff.organisationId, clientId, { actor: staff });
        } catch (error) {
          if (error instanceof ClientHasNoSecret) {
            throw new Conflict('This client proves itself with its keys (private_key_jwt) and has no secret: change its jwks instead.', { code: 'no_secret' });
          }
          throw error;
        }
        if (!clientSecret) throw noSuchClient(clientId);
        res.json({ client_id: clientId, client_secret: clientSecret });
      },
    ],
  });

  resource(router, `${BASE}/:clientId/events`, {
    get: [
      read,
      async (req, res) => {
        const clientId = clientIdOf(req.params);
        const events = await clientEventsOf(knex, staffOf(res).organisationId, clientId);
        if (events.length === 0) throw noSuchClient(clientId);
        res.json({ events: events.map(clientEventView) });
      },
    ],
  });
}
