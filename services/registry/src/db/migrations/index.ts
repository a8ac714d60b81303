import type { Migration } from '@tamkeen/db';
import { citizens } from './0001_citizens.js';

/** Every migration of the registry database, in order. Append; never edit one that has shipped. */
export const migrations: Migration[] = [citizens];
