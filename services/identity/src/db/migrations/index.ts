import type { Migration } from '@tamkeen/db';
import { oidcModels } from './0001_oidc_models.js';
import { signingKeys } from './0002_signing_keys.js';
import { organisationsAndClients } from './0003_organisations_and_clients.js';
import { citizenAccounts } from './0004_citizen_accounts.js';
import { oneTimeCodes } from './0005_one_time_codes.js';
import { codesForAnySubject } from './0006_codes_for_any_subject.js';
import { authenticators } from './0007_authenticators.js';
import { enterpriseUsers } from './0008_enterprise_users.js';
import { clientEvents } from './0009_client_events.js';
import { codesPerChannel } from './0010_codes_per_channel.js';

/** Every migration of the identity database, in order. Append; never edit one that has shipped. */
export const migrations: Migration[] = [oidcModels, signingKeys, organisationsAndClients, citizenAccounts, oneTimeCodes, codesForAnySubject, authenticators, enterpriseUsers, clientEvents, codesPerChannel];
