import { createReadStream } from 'node:fs';
import { createKnex } from '@tamkeen/db';
import { reportLines } from './dist/settlements/settlement-report.js';
import { storeLines } from './dist/settlements/settlement-store.js';
import { newCounts } from './dist/settlements/settlement-line.js';
const knex = createKnex('postgres://postgres@127.0.0.1:5432/tamkeen_reconciliation_bench');
const batches = [[]];
for await (const l of reportLines(createReadStream(process.argv[2]), { maxBytes: 1e10 })) { const b = batches.at(-1); b.push({ line: { ...l.line, id: l.line.id + 'q' }, lineNumber: l.lineNumber }); if (b.length === 5000) { if (batches.length === 6) break; batches.push([]); } }
let sent, got = [];
knex.on('query', () => { sent = performance.now(); });
knex.on('query-response', () => { got.push(performance.now() - sent); });
await knex.transaction(async (trx) => {
  for (const b of batches) {
    const t = performance.now();
    await storeLines(trx, b, 'report', newCounts(), {});
    console.log('storeLines', (performance.now() - t).toFixed(0), 'ms; query', got.at(-1).toFixed(0), 'ms');
  }
  throw new Error('rollback');
}).catch((e) => console.log(e.message));
await knex.destroy();
