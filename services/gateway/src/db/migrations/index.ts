import type { Migration } from '@tamkeen/db';
import { auditLog } from './0001_audit_log.js';

/** Every migration of the gateway's database, in order. Append; never edit one that has shipped. */
export const migrations: Migration[] = [auditLog];
