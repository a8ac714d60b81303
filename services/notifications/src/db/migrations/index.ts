import type { Migration } from '@tamkeen/db';
import { notifications } from './0001_notifications.js';

/** Every migration of the notifications database, in order. Append; never edit one that has shipped. */
export const migrations: Migration[] = [notifications];
