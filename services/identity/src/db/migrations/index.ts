import type { Migration } from '@tamkeen/db';
import { oidcModels } from './0001_oidc_models.js';

/** Every migration of the identity database, in order. Append; never edit one that has shipped. */
export const migrations: Migration[] = [oidcModels];
