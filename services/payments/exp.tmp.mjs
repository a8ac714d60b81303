import { createReadStream } from 'node:fs';
import { createKnex } from '@tamkeen/db';
import { reportLines } from './dist/settlements/settlement-report.js';
import { storeLines } from './dist/settlements/settlement-store.js';
import { newCounts } from './dist/settlements/settlement-line.js';
const knex = createKnex('postgres://postgres@127.0.0.1:5432/tamkeen_reconciliation_bench');
const batch = [];
for await (const l of reportLines(createReadStream(process.argv[2]), { maxBytes: 1e10 })) { batch.push({ line: { ...l.line, id: l.line.id + 'z' }, lineNumber: l.lineNumber }); if (batch.length === 5000) break; }
let captured;
knex.on('query', (q) => { if (q.sql.startsWith('with i as')) captured = q; });
await knex.transaction(async (trx) => {
  let t = performance.now();
  await storeLines(trx, batch, 'report', newCounts(), {});
  console.log('storeLines', (performance.now() - t).toFixed(0), 'ms');
  const again = batch.map((b) => ({ ...b, line: { ...b.line, id: b.line.id + 'y' } }));
  t = performance.now();
  await storeLines(trx, again, 'report', newCounts(), {});
  console.log('storeLines again', (performance.now() - t).toFixed(0), 'ms');
  const plan = await trx.raw('explain (analyze, buffers) ' + captured.sql.replace(/\$\d+/g, '?'), captured.bindings.map((b, i) => (i === 0 ? b.map((x) => x + 'x') : b)));
  console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
  throw new Error('rollback');
}).catch((e) => console.log(e.message));
await knex.destroy();
