import { randomUUID } from 'node:crypto';
import type { NewPayment } from './payment-repository.js';

/** A ministry's new payment for repository tests: a passport fee in shekels, with its own Idempotency-Key. */
export const newTestPayment = (overrides: Partial<NewPayment> = {}): NewPayment => ({
  organisationId: 'moi',
  clientId: 'moi-passports',
  amount: 15_000,
  currency: 'ILS',
  reference: 'PASSPORT-2026-0001',
  description: 'Passport renewal fee',
  returnUrl: 'https://passports.moi.gov.ps/paid',
  email: null,
  phoneNumber: '+970599123456',
  metadata: {},
  expiresAt: new Date(Date.now() + 90 * 60_000),
  idempotencyKey: randomUUID(),
  requestHash: 'h',
  ...overrides,
});
