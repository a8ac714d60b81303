import type { Migration } from '@tamkeen/db';
import { ledger } from './0001_ledger.js';
import { payments } from './0002_payments.js';
import { webhooks } from './0003_webhooks.js';
import { refunds } from './0004_refunds.js';
import { pspEvents } from './0005_psp_events.js';
import { receipts } from './0006_receipts.js';
import { payouts } from './0007_payouts.js';
import { paymentSettings } from './0008_payment_settings.js';
import { reconciliationExceptions } from './0009_reconciliation_exceptions.js';
import { bankStatements } from './0010_bank_statements.js';
import { settlements } from './0011_settlements.js';
import { ledgerClose } from './0012_ledger_close.js';
import { paymentSettlements } from './0013_payment_settlements.js';

/** Every migration of the payments database, in order. Append; never edit one that has shipped. */
export const migrations: Migration[] = [ledger, payments, webhooks, refunds, pspEvents, receipts, payouts, paymentSettings, reconciliationExceptions, bankStatements, settlements, ledgerClose, paymentSettlements];
