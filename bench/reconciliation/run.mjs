#!/usr/bin/env node
// Reconciliation benchmark (issue 6): a generated day of BENCH_PAYMENTS (1,000,000) succeeded card
// payments, reconciled end to end by the real built code of services/payments/dist.
//   1. Generated (not timed): a fresh tamkeen_reconciliation_bench database (payments' migrations);
//      the day's payments across 20 ministries and 3 currencies (ILS, JOD, USD), each succeeded with
//      its PSP payment intent, charge balance transaction and fee, its `succeed` event; a few
//      refunds (one per BENCH_REFUND_EVERY payments); the day's payouts, one per currency, recorded
//      paid through the payout repository (posted to the ledger as the PSP's webhook would). Written
//      to a temp dir: the PSP's itemized payout reconciliation report (CSV, Stripe's columns, one
//      line per charge, refund and payout) and the treasury's camt.053 statement (001.08) of its
//      three accounts, each with the payout's credit.
//   2. Timed, in a child process (its peak RSS is the memory figure; the generator is not in it):
//      importSettlementReport (stream the CSV, store the lines, record the payouts, match every line,
//      settle the payments), importStatements + parseCamt053 (validate, store, match the credits to
//      the payouts), checkMissingSettlements (as of the day the payments fall due).
//   3. Checked: every payment settled (payout and settled date), every line matched, three credits
//      matched to three payouts, no exception; then the database is dropped.
// Targets (this 2-core machine): under 60 s end to end, under 512 MB peak RSS.
// A measurement, not a test: it prints its figures and exits 0 unless it failed.
//   npm run build && npm run bench:reconciliation      (BENCH_PAYMENTS=100000 for a smaller day)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKnex, dropDatabase, withDatabase } from '@tamkeen/db';
import { runBuiltFile } from '@tamkeen/testing';
import { root } from '../lib/services.mjs';

const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 1_000_000);
const REFUND_EVERY = Number(process.env.BENCH_REFUND_EVERY ?? 5_000);
/** Seconds the reconciliation may take before the bench stops it and reports how far it got (the default run stays near 5 minutes). */
const TIME_LIMIT = Number(process.env.BENCH_TIME_LIMIT ?? 180);
const TARGETS = { seconds: 60, megabytes: 512 };
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'tamkeen_reconciliation_bench';
const DB_URL = withDatabase(SERVER_URL, DATABASE);
const dist = (...parts) => join(root, 'services', 'payments', 'dist', ...parts);
const log = (line = '') => process.stdout.write(`${line}\n`);

// The day: payments on DAY, available and paid out on PAYOUT_DAY, the statement of PAYOUT_DAY.
const DAY = '2026-11-20';
const PAYOUT_DAY = '2026-11-22';
const DAY_START = Date.parse(`${DAY}T00:00:00Z`);
const CURRENCIES = ['ILS', 'JOD', 'USD'];
const DECIMALS = { ILS: 2, JOD: 3, USD: 2 };
const MINISTRIES = 20;
const ACCOUNTS = [
  { account: 'PS92PALS000000000400123456701', currency: 'ILS', name: 'Treasury ILS' },
  { account: 'PS44PALS000000000400123456702', currency: 'JOD', name: 'Treasury JOD' },
  { account: 'PS17PALS000000000400123456703', currency: 'USD', name: 'Treasury USD' },
];
const SETTLEMENT_RULES = { matchWindowHours: 24, missingAfterDays: 5 };
const REPORT_MAX_BYTES = 1024 ** 3;
const payoutIdOf = (currency) => `po_bench_${currency.toLowerCase()}_${DAY.replaceAll('-', '')}`;
const traceIdOf = (currency) => `TMKPO${currency}${DAY.replaceAll('-', '')}`;

// Payment i (1..N), the same in SQL (generation) and in JS (the report): keep both in step.
const pad = (i) => String(i).padStart(8, '0');
const currencyOf = (i) => CURRENCIES[i % 3];
const amountOf = (i) => 500 + ((i * 7919) % 99_500);
const feeOf = (i) => Math.floor((amountOf(i) * 29) / 1000) + 30;
const secondOf = (i) => Math.floor(((i - 1) * 86_400) / PAYMENTS);
const refundAmountOf = (i) => Math.floor(amountOf(i) / 2);
const SQL = {
  currency: `(array['ILS','JOD','USD'])[i % 3 + 1]`,
  amount: `(500 + (i * 7919) % 99500)`,
  fee: `((500 + (i * 7919) % 99500) * 29 / 1000 + 30)`,
  at: `(?::timestamptz + ((i - 1) * 86400 / ${PAYMENTS}) * interval '1 second')`,
};

/** Major units as the report writes them: 150075 ILS → "1500.75", −1500 JOD → "-1.500". */
function major(minor, currency) {
  const d = DECIMALS[currency];
  const digits = String(Math.abs(minor)).padStart(d + 1, '0');
  return `${minor < 0 ? '-' : ''}${digits.slice(0, -d)}.${digits.slice(-d)}`;
}
/** The report's columns (Stripe's itemized payout reconciliation report), as the generator writes them. */
const REPORT_HEADER = ['balance_transaction_id', 'created_utc', 'available_on_utc', 'currency', 'gross', 'fee', 'net', 'reporting_category', 'source_id', 'description', 'automatic_payout_id', 'automatic_payout_effective_at_utc', 'payment_intent_id', 'charge_id'];
const utc = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

// ---------------------------------------------------------------------------------------------
/** The CPU seconds (user and system) every running postgres process has used, from /proc. */
async function postgresCpuSeconds() {
  const { readdir, readFile } = await import('node:fs/promises');
  const ticks = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
    const fields = stat.slice(close + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) / ticks;
  }
  return total;
}

// The child: the reconciliation itself, timed, with its own peak RSS.
// ---------------------------------------------------------------------------------------------
async function reconcile(csvPath, camtPath) {
  const { importSettlementReport } = await import(dist('settlements', 'settlement-report.js'));
  const { checkMissingSettlements } = await import(dist('settlements', 'missing-settlements.js'));
  const { importStatements } = await import(dist('statements', 'statement-import.js'));
  const { parseCamt053 } = await import(dist('statements', 'camt053-parser.js'));
  const { DEFAULT_MATCHING_RULES } = await import(dist('statements', 'statement-config.js'));
  const knex = createKnex(DB_URL);
  // BENCH_QUERY_STATS=1: the time spent in each kind of statement (by its first 90 characters), to find the slow part.
  const queryStats = new Map();
  if (process.env.BENCH_QUERY_STATS === '1') {
    const startedAt = new Map();
    knex.on('query', (q) => startedAt.set(q.__knexQueryUid, performance.now()));
    knex.on('query-response', (_r, q) => {
      const key = q.sql.replace(/\s+/g, ' ').slice(0, 90);
      const s = queryStats.get(key) ?? { n: 0, ms: 0 };
      s.n++;
      s.ms += performance.now() - (startedAt.get(q.__knexQueryUid) ?? performance.now());
      startedAt.delete(q.__knexQueryUid);
      queryStats.set(key, s);
    });
  }
  const phases = {};
  // Where the time goes: this process's CPU, and PostgreSQL's (every postgres process's, read from /proc).
  const cpuAtStart = { node: process.cpuUsage(), postgres: await postgresCpuSeconds() };
  const timed = async (name, work) => {
    const started = performance.now();
    const result = await work();
    phases[name] = { seconds: (performance.now() - started) / 1000, rssMb: process.memoryUsage().rss / 1024 ** 2 };
    return result;
  };
  try {
    const report = await timed('settlement report (import, match, settle)', () =>
      importSettlementReport(createReadStream(csvPath), { knex, rules: SETTLEMENT_RULES, importedBy: 'bench', maxBytes: REPORT_MAX_BYTES, now: () => new Date() }),
    );
    const statement = await timed('bank statement (camt.053 import, payout matching)', () =>
      importStatements(knex, parseCamt053(createReadStream(camtPath)), { accounts: ACCOUNTS, rules: DEFAULT_MATCHING_RULES, importedBy: 'bench' }),
    );
    // As of the day every payment of DAY is due to be settled: whatever is not settled is raised.
    const asOf = new Date(DAY_START + (SETTLEMENT_RULES.missingAfterDays + 1) * 86_400_000);
    const missing = await timed('missing-settlement check', () => checkMissingSettlements(knex, SETTLEMENT_RULES, asOf));
    const result = {
      phases,
      report: report.counts,
      statement: { statements: statement.statements.map((s) => s.outcome), matches: statement.matching.matches.length, exceptions: statement.matching.exceptionCounts },
      missing,
      maxRssKb: process.resourceUsage().maxRSS,
      cpu: { node: (() => { const used = process.cpuUsage(cpuAtStart.node); return (used.user + used.system) / 1e6; })(), postgres: (await postgresCpuSeconds()) - cpuAtStart.postgres },
      queries: [...queryStats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12).map(([sql, { n, ms }]) => ({ sql, n, ms: Math.round(ms) })),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await knex.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The parent: generation, the child, the checks, the figures.
// ---------------------------------------------------------------------------------------------
async function generate(dir) {
  await runBuiltFile(dist('migrate.js'), [], { PATH: process.env.PATH, DATABASE_URL: DB_URL });
  const knex = createKnex(DB_URL);
  try {
    const day = `${DAY}T00:00:00Z`;
    const started = performance.now();
    // In slices, so that no statement holds a day's worth of rows in one go.
    const SLICE = 250_000;
    for (let from = 1; from <= PAYMENTS; from += SLICE) {
      const to = Math.min(PAYMENTS, from + SLICE - 1);
      await knex.raw(
        `insert into payments (id, organisation_id, client_id, amount, currency, reference, description, return_url, status, psp_payment_intent_id,
                               idempotency_key, request_hash, expires_at, created_at, updated_at, psp_fee, psp_balance_transaction_id)
         select md5('pay' || i)::uuid, 'ministry-' || (i % ${MINISTRIES}), 'bench-client-' || (i % ${MINISTRIES}), ${SQL.amount}, ${SQL.currency},
                'REF-' || i, 'Bench fee', 'https://ministry.bench/done', 'succeeded', 'pi_bench_' || lpad(i::text, 8, '0'),
                'idem-' || i, 'bench', ${SQL.at} + interval '1 hour', ${SQL.at}, ${SQL.at}, ${SQL.fee}, 'txn_ch_' || lpad(i::text, 8, '0')
           from generate_series(?::bigint, ?::bigint) as i`,
        [day, day, day, from, to],
      );
      await knex.raw(
        `insert into payment_events (payment_id, event, from_status, to_status, at)
         select md5('pay' || i)::uuid, 'succeed', 'submitted', 'succeeded', ${SQL.at} + interval '2 seconds'
           from generate_series(?::bigint, ?::bigint) as i`,
        [day, from, to],
      );
    }
    await knex.raw(
      `insert into refunds (id, payment_id, organisation_id, amount, currency, reason, status, psp_refund_id, idempotency_key, request_hash, created_at, updated_at)
       select md5('ref' || i)::uuid, md5('pay' || i)::uuid, 'ministry-' || (i % ${MINISTRIES}), ${SQL.amount} / 2, ${SQL.currency}, 'requested_by_customer', 'succeeded',
              're_bench_' || lpad(i::text, 8, '0'), 'refund-' || i, 'bench', ${SQL.at} + interval '1 hour', ${SQL.at} + interval '1 hour'
         from generate_series(${REFUND_EVERY}::bigint, ${PAYMENTS}::bigint, ${REFUND_EVERY}::bigint) as i`,
      [day, day],
    );
    await knex.raw('analyze');
    const dbSeconds = (performance.now() - started) / 1000;

    // The report, and the payouts' amounts from it (what the PSP pays out: charges net of fees, less refunds).
    const csvPath = join(dir, `payout_reconciliation_itemized_${DAY}.csv`);
    const payoutTotals = Object.fromEntries(CURRENCIES.map((c) => [c, 0]));
    const out = createWriteStream(csvPath);
    const write = async (text) => {
      if (!out.write(text)) await once(out, 'drain');
    };
    const available = `${PAYOUT_DAY} 00:00:00`;
    await write(`${REPORT_HEADER.join(',')}\n`);
    let chunk = '';
    let lines = 0;
    for (let i = 1; i <= PAYMENTS; i++) {
      const currency = currencyOf(i);
      const amount = amountOf(i);
      const fee = feeOf(i);
      const created = utc(DAY_START + secondOf(i) * 1000);
      const c = currency.toLowerCase();
      payoutTotals[currency] += amount - fee;
      chunk += `txn_ch_${pad(i)},${created},${available},${c},${major(amount, currency)},${major(fee, currency)},${major(amount - fee, currency)},charge,ch_bench_${pad(i)},,${payoutIdOf(currency)},${available},pi_bench_${pad(i)},ch_bench_${pad(i)}\n`;
      lines++;
      if (i % REFUND_EVERY === 0) {
        const refund = refundAmountOf(i);
        payoutTotals[currency] -= refund;
        chunk += `txn_re_${pad(i)},${utc(DAY_START + secondOf(i) * 1000 + 3_600_000)},${available},${c},${major(-refund, currency)},${major(0, currency)},${major(-refund, currency)},refund,re_bench_${pad(i)},REFUND FOR REF-${i},${payoutIdOf(currency)},${available},pi_bench_${pad(i)},ch_bench_${pad(i)}\n`;
        lines++;
      }
      if (i % 10_000 === 0) {
        await write(chunk);
        chunk = '';
      }
    }
    // The payouts' own lines (the report lists them too).
    for (const currency of CURRENCIES) {
      const amount = payoutTotals[currency];
      chunk += `txn_po_${currency.toLowerCase()}_${DAY.replaceAll('-', '')},${PAYOUT_DAY} 01:00:00,${available},${currency.toLowerCase()},${major(-amount, currency)},${major(0, currency)},${major(-amount, currency)},payout,${payoutIdOf(currency)},STRIPE PAYOUT,,,,\n`;
      lines++;
    }
    await write(chunk);
    out.end();
    await once(out, 'finish');

    // The payouts, as the PSP's payout.paid webhooks would have recorded them (posted to the ledger once each).
    const { payoutRepository } = await import(dist('payouts', 'payout-repository.js'));
    const payouts = payoutRepository(knex);
    await knex.transaction(async (trx) => {
      for (const currency of CURRENCIES) {
        await payouts.record(
          trx,
          {
            payoutId: payoutIdOf(currency),
            amount: { amount: payoutTotals[currency], currency },
            status: 'paid',
            arrivalDate: PAYOUT_DAY,
            created: new Date(`${PAYOUT_DAY}T01:00:00Z`),
            automatic: true,
            balanceTransactionId: `txn_po_${currency.toLowerCase()}_${DAY.replaceAll('-', '')}`,
            destination: 'ba_bench_treasury',
            statementDescriptor: 'STRIPE PAYOUT',
            traceId: traceIdOf(currency),
            failureCode: null,
          },
          new Date(`${PAYOUT_DAY}T01:00:00Z`),
        );
      }
    });

    // The treasury's camt.053 of PAYOUT_DAY: each account's statement with its payout's credit.
    const camtPath = join(dir, `camt053_${PAYOUT_DAY}.xml`);
    let xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">\n  <BkToCstmrStmt>\n    <GrpHdr><MsgId>BENCH-${PAYOUT_DAY}</MsgId><CreDtTm>${PAYOUT_DAY}T23:00:00+02:00</CreDtTm></GrpHdr>\n`;
    for (const account of ACCOUNTS) {
      const { currency } = account;
      const opening = 1_000_000 * 10 ** DECIMALS[currency];
      const credit = payoutTotals[currency];
      const bal = (type, amount) => `      <Bal><Tp><CdOrPrtry><Cd>${type}</Cd></CdOrPrtry></Tp><Amt Ccy="${currency}">${major(amount, currency)}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>${PAYOUT_DAY}</Dt></Dt></Bal>\n`;
      xml +=
        `    <Stmt>\n      <Id>STMT-${currency}-${PAYOUT_DAY}</Id>\n      <ElctrncSeqNb>1</ElctrncSeqNb>\n      <CreDtTm>${PAYOUT_DAY}T23:00:00+02:00</CreDtTm>\n` +
        `      <FrToDt><FrDtTm>${PAYOUT_DAY}T00:00:00+02:00</FrDtTm><ToDtTm>${PAYOUT_DAY}T23:59:59+02:00</ToDtTm></FrToDt>\n` +
        `      <Acct><Id><IBAN>${account.account}</IBAN></Id><Ccy>${currency}</Ccy></Acct>\n` +
        bal('OPBD', opening) +
        bal('CLBD', opening + credit) +
        `      <Ntry>\n        <Amt Ccy="${currency}">${major(credit, currency)}</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts><Cd>BOOK</Cd></Sts>\n` +
        `        <BookgDt><Dt>${PAYOUT_DAY}</Dt></BookgDt><ValDt><Dt>${PAYOUT_DAY}</Dt></ValDt>\n        <AcctSvcrRef>BANK-${currency}-${PAYOUT_DAY}</AcctSvcrRef>\n` +
        `        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n` +
        `        <NtryDtls><TxDtls><Refs><EndToEndId>${traceIdOf(currency)}</EndToEndId></Refs><RmtInf><Ustrd>STRIPE PAYOUT ${traceIdOf(currency)}</Ustrd></RmtInf></TxDtls></NtryDtls>\n      </Ntry>\n    </Stmt>\n`;
    }
    xml += '  </BkToCstmrStmt>\n</Document>\n';
    const camtOut = createWriteStream(camtPath);
    camtOut.end(xml);
    await once(camtOut, 'finish');
    return { csvPath, camtPath, lines, refunds: Math.floor(PAYMENTS / REFUND_EVERY), payoutTotals, dbSeconds, totalSeconds: (performance.now() - started) / 1000, csvBytes: (await stat(csvPath)).size };
  } finally {
    await knex.destroy();
  }
}

/** Where the child is: how far it has read the report (its file descriptor's offset), and what the database shows committed. */
async function progressOf(pid, csvPath) {
  const { readdir, readlink, readFile } = await import('node:fs/promises');
  let csvOffset = null;
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) !== csvPath) continue;
    csvOffset = Number(/pos:\s+(\d+)/.exec(await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => ''))?.[1] ?? 0);
  }
  const knex = createKnex(DB_URL);
  try {
    const { rows } = await knex.raw(`select count(*)::int as lines, count(*) filter (where match_status <> 'pending')::int as decided,
                                            (select count(*)::int from payment_settlements) as settled from settlement_lines`);
    return { csvOffset, ...rows[0] };
  } finally {
    await knex.destroy();
  }
}

/** Runs the reconciliation in a child process; its JSON result, and its peak RSS as /proc saw it too. Past TIME_LIMIT, stops it and says how far it got. */
async function runChild(csvPath, camtPath) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--reconcile', csvPath, camtPath], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  // VmHWM from /proc while it runs (the last value read before it exits), as a cross-check of maxRSS.
  let hwmKb = 0;
  const { readFile } = await import('node:fs/promises');
  const poll = setInterval(async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    if (kb > hwmKb) hwmKb = kb;
  }, 200);
  const started = performance.now();
  // Every 3 s, what the database shows committed: when the report's lines were stored (its one transaction committed) and how fast they are matched.
  const milestones = { storedAt: null, lines: 0, samples: [] };
  const watch = setInterval(async () => {
    const p = await progressOf(child.pid, csvPath).catch(() => null);
    if (!p) return;
    const at = (performance.now() - started) / 1000;
    if (p.lines > 0 && milestones.storedAt === null) milestones.storedAt = at;
    milestones.lines = p.lines;
    milestones.samples.push({ at, decided: p.decided });
  }, 3000);
  let timedOut = null;
  const limit = setTimeout(async () => {
    timedOut = await progressOf(child.pid, csvPath).catch((error) => ({ error: error.message }));
    child.kill('SIGKILL');
  }, TIME_LIMIT * 1000);
  const [code] = await once(child, 'exit');
  clearTimeout(limit);
  clearInterval(watch);
  const wall = (performance.now() - started) / 1000;
  clearInterval(poll);
  if (timedOut) return { timedOut, wall, hwmKb, milestones };
  if (code !== 0) throw new Error(`the reconciliation failed (exit ${code}): ${stdout.slice(-2000)}`);
  const line = stdout.trim().split('\n').at(-1);
  return { ...JSON.parse(line), wall, hwmKb, milestones };
}

/** The watcher's view of the settlement import: when the lines were stored, and the matching rate at its start and at its end. */
function describeMilestones({ storedAt, lines, samples }) {
  if (storedAt === null) return 'the report\'s lines were not seen committed (the import is one transaction; the watcher looks every 3 s)';
  const matching = samples.filter((s) => s.decided > 0 && s.decided < lines);
  const rate = (a, b) => ((b.decided - a.decided) / (b.at - a.at)).toFixed(0);
  const rates = matching.length >= 4 ? `; matching ${rate(matching[0], matching[1])} lines/s at first, ${rate(matching.at(-2), matching.at(-1))} lines/s at the last look` : '';
  return `the report's lines stored (committed) about ${storedAt.toFixed(0)} s after the child started${rates}`;
}

async function check(generated, result) {
  const knex = createKnex(DB_URL);
  try {
    const one = async (sql) => Number(Object.values((await knex.raw(sql)).rows[0])[0]);
    const problems = [];
    const unsettled = await one(`select count(*) from payments p where status = 'succeeded' and not exists (select 1 from payment_settlements s where s.payment_id = p.id)`);
    const wrongDay = await one(`select count(*) from payment_settlements where settled_date <> '${PAYOUT_DAY}'`);
    const lineStatuses = Object.fromEntries((await knex.raw('select match_status, count(*)::int as n from settlement_lines group by 1')).rows.map((r) => [r.match_status, r.n]));
    const exceptions = Object.fromEntries((await knex.raw('select kind, count(*)::int as n from reconciliation_exceptions group by 1')).rows.map((r) => [r.kind, r.n]));
    const matchedPayouts = await one('select count(*) from bank_statement_matched_payouts');
    const refundLines = await one(`select count(*) from settlement_lines where reporting_category = 'refund' and match_status = 'matched' and refund_id is not null`);
    if (unsettled > 0) problems.push(`${unsettled} payments not settled`);
    if (wrongDay > 0) problems.push(`${wrongDay} payments settled on another day than ${PAYOUT_DAY}`);
    if ((lineStatuses.matched ?? 0) !== generated.lines || Object.keys(lineStatuses).length !== 1) problems.push(`${generated.lines} lines in the report, lines stored by status: ${JSON.stringify(lineStatuses)}`);
    if (Object.keys(exceptions).length > 0) problems.push(`exceptions raised: ${JSON.stringify(exceptions)}`);
    if (matchedPayouts !== 3 || result.statement.matches !== 3) problems.push(`${result.statement.matches} bank matches, ${matchedPayouts} payouts matched (expected 3)`);
    if (refundLines !== generated.refunds) problems.push(`${refundLines} refund lines matched, ${generated.refunds} refunds`);
    if (result.report.payments_settled !== PAYMENTS) problems.push(`the import says ${result.report.payments_settled} payments settled, not ${PAYMENTS}`);
    if (result.missing.found !== 0) problems.push(`the missing-settlement check found ${result.missing.found}`);
    return { problems, lineStatuses };
  } finally {
    await knex.destroy();
  }
}

/**
 * The baseline, measured in the same run after the reconciliation: PostgreSQL's own COPY of the
 * same report file (CSV, streamed from this process) into a bare table of text columns, without an
 * index, a check or a match: the least it costs to get those lines into this PostgreSQL.
 */
async function copyBaseline(csvPath) {
  const { from: copyFrom } = await import('pg-copy-streams');
  const { pipeline } = await import('node:stream/promises');
  const knex = createKnex(DB_URL);
  try {
    await knex.raw(`drop table if exists bench_copy_baseline`);
    await knex.raw(`create table bench_copy_baseline (${REPORT_HEADER.map((c) => `"${c}" text`).join(', ')})`);
    const connection = await knex.client.acquireConnection();
    try {
      const started = performance.now();
      await pipeline(createReadStream(csvPath), connection.query(copyFrom(`copy bench_copy_baseline from stdin with (format csv, header true)`)));
      return (performance.now() - started) / 1000;
    } finally {
      await knex.client.releaseConnection(connection);
      await knex.raw('drop table bench_copy_baseline');
    }
  } finally {
    await knex.destroy();
  }
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'tamkeen-reconciliation-bench-'));
  try {
    await dropDatabase(DB_URL);
    log(`reconciliation bench: a day of ${PAYMENTS.toLocaleString('en')} payments (${MINISTRIES} ministries; ILS, JOD, USD), a refund every ${REFUND_EVERY.toLocaleString('en')}`);
    const generated = await generate(dir);
    log(`generated (not timed): database ${generated.dbSeconds.toFixed(1)} s; report ${generated.lines.toLocaleString('en')} lines, ${(generated.csvBytes / 1024 ** 2).toFixed(0)} MB; statement with 3 payout credits; ${generated.totalSeconds.toFixed(1)} s in all`);
    const result = await runChild(generated.csvPath, generated.camtPath);
    if (result.timedOut) {
      const p = result.timedOut;
      const peakMb = result.hwmKb / 1024;
      log(`  ${describeMilestones(result.milestones)}`);
      log(`stopped after BENCH_TIME_LIMIT=${TIME_LIMIT} s, unfinished: ${p.lines === 0 ? `still storing the report's lines (${p.csvOffset === null ? 'file closed' : `${((p.csvOffset / generated.csvBytes) * 100).toFixed(0)} % of the file read`}), nothing committed yet` : `lines stored; ${p.decided.toLocaleString('en')} of ${p.lines.toLocaleString('en')} matched, ${p.settled.toLocaleString('en')} payments settled`}`);
      log();
      log(`reconciliation of ${PAYMENTS.toLocaleString('en')} payments   not finished in ${TIME_LIMIT} s: FAIL (target < ${TARGETS.seconds} s)`);
      log(`peak memory (max RSS of the reconciling process, until stopped)   ${peakMb.toFixed(0)} MB: ${peakMb < TARGETS.megabytes ? 'PASS so far' : 'FAIL'} (target < ${TARGETS.megabytes} MB)`);
      return;
    }
    const total = Object.values(result.phases).reduce((sum, p) => sum + p.seconds, 0);
    for (const [name, phase] of Object.entries(result.phases)) log(`  ${name.padEnd(52)} ${phase.seconds.toFixed(2).padStart(8)} s   (RSS after it ${phase.rssMb.toFixed(0)} MB)`);
    log(`  ${describeMilestones(result.milestones)}`);
    log(`  report counts: ${JSON.stringify(result.report)}`);
    log(`  statement: ${result.statement.statements.join(', ')}; ${result.statement.matches} matches; exceptions ${JSON.stringify(result.statement.exceptions)}; missing-settlement check: ${result.missing.found} found`);
    log(`  CPU while reconciling: this process ${result.cpu.node.toFixed(1)} s, PostgreSQL ${result.cpu.postgres.toFixed(1)} s (2 cores: ${(2 * total).toFixed(0)} CPU-seconds in ${total.toFixed(1)} s)`);
    for (const q of result.queries) log(`  query ${String(q.ms).padStart(7)} ms ${String(q.n).padStart(7)}×  ${q.sql}`);
    const { problems } = await check(generated, result);
    if (problems.length > 0) log(`CHECK FAILED: ${problems.join('; ')}`);
    else log(`checked: all ${PAYMENTS.toLocaleString('en')} payments settled on ${PAYOUT_DAY}, all ${generated.lines.toLocaleString('en')} lines matched (${generated.refunds} refunds), 3 credits matched to 3 payouts, no exception`);
    const peakMb = Math.max(result.maxRssKb, result.hwmKb) / 1024;
    const baseline = await copyBaseline(generated.csvPath);
    log(`baseline (same run): PostgreSQL's COPY of the same report into a bare table, no index or matching: ${baseline.toFixed(1)} s`);
    log();
    log(`reconciliation of ${PAYMENTS.toLocaleString('en')} payments   ${total.toFixed(1)} s (child's wall clock ${result.wall.toFixed(1)} s, with start-up; ${(total / baseline).toFixed(1)}× the baseline's COPY): ${total < TARGETS.seconds ? 'PASS' : 'FAIL'} (target < ${TARGETS.seconds} s)`);
    log(`peak memory (max RSS of the reconciling process)   ${peakMb.toFixed(0)} MB: ${peakMb < TARGETS.megabytes ? 'PASS' : 'FAIL'} (target < ${TARGETS.megabytes} MB)`);
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    if (process.env.BENCH_KEEP === '1') log(`kept (BENCH_KEEP=1): the database ${DATABASE} and the files in ${dir}`);
    else {
      await rm(dir, { recursive: true, force: true });
      await dropDatabase(DB_URL).catch(() => undefined);
    }
  }
}

if (process.argv[2] === '--reconcile') {
  await reconcile(process.argv[3], process.argv[4]);
} else {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
    await dropDatabase(DB_URL).catch(() => undefined);
    process.exit(1);
  }
}
