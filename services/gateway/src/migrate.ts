import { runMigrateCommand } from '@tamkeen/db';
import { migrations } from './db/migrations/index.js';

await runMigrateCommand('gateway', migrations);
