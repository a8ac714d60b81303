import type { Knex } from '@tamkeen/db';
import { BadRequest, BadGateway, ServiceUnavailable, type Logger } from '@tamkeen/http-kit';
import express, { type IRouter } from 'express';
import type { DisputeRepository } from '../disputes/dispute-repository.js';
import type { PaymentRepository } from '../payments/payment-repository.js';
import { payoutRepository, type PayoutRepository } from '../payouts/payout-repository.js';
import { settlePayment } from '../payments/payment-settlement.js';
import { PspError, PspRequestRefused, PspUnavailable, type PaymentProvider, type PayoutSnapshot } from './payment-provider.js';
import { STRIPE_SIGNATURE_HEADER, verifyStripeSignature } from './psp-webhook.js';
import type { components } from './stripe-api.js';
import { disputeSnapshotOf, payoutSnapshotOf } from './stripe-adapter.js';

/**
 * Where the PSP posts its events: under /payments (routed to this service by the gateway) but
 * outside the ministries' versioned API /payments/v1, as it is not theirs and carries no access
 * token: the `Stripe-Signature` is its authentication.
 */
export const PSP_WEBHOOK_PATH = '/payments/psp/webhooks/stripe';

type StripeEvent = components['schemas']['Event'];

const PAYMENT_INTENT_EVENTS = new Set(['payment_intent.succeeded', 'payment_intent.payment_failed']);
const DISPUTE_EVENTS = new Set(['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.closed', 'charge.dispute.funds_withdrawn', 'charge.dispute.funds_reinstated']);
const PAYOUT_EVENTS = new Set(['payout.created', 'payout.updated', 'payout.paid', 'payout.failed', 'payout.canceled', 'payout.reconciliation_completed']);

export interface PspWebhookDeps {
  knex: Knex;
  payments: PaymentRepository;
  disputes: DisputeRepository;
  /** The PSP's payouts (by default on `knex`). */
  payouts?: PayoutRepository;
  psp: PaymentProvider;
  logger: Logger;
  /** `whsec_…`: the endpoint's signing secret at the PSP; without it, every event is refused (503). */
  secret: string | undefined;
  bodyLimit: string;
  now?: () => Date;
}

/**
 * The PSP's webhooks (Stripe's events): verified on the raw body, each event handled once (by its
 * id, in psp_events), and correct in any arrival order:
 * - payment_intent.succeeded / payment_failed: the intent is read again from the PSP and the
 *   submitted payment settled as it stands now (the hosted page's own path, settlePayment), so a
 *   late or reordered event cannot move a payment backwards, and settles a payment whose
 *   confirmation was lost (the page timed out, the citizen closed the tab);
 * - charge.dispute.*: the dispute in the event is taken in by disputes.apply, which never moves a
 *   dispute backwards and posts each ledger movement once;
 * - payout.*: the payout in the event is stored by payouts.apply, its status never moved backwards;
 *   `paid` posts it to the ledger once (treasury_bank ← psp_receivable), `failed` after `paid`
 *   reverses that once, and a `paid` arriving after `failed` changes nothing.
 * Anything else is acknowledged and ignored. A bad signature is a 400 with nothing done; a failure
 * to handle an event (the PSP unreachable) is a 5xx, so that the PSP delivers it again.
 */
export function pspWebhookRoutes(router: IRouter, { knex, payments, disputes, payouts = payoutRepository(knex), psp, logger, secret, bodyLimit, now = () => new Date() }: PspWebhookDeps): void {
  // The exact bytes are what is signed: this route reads its body itself (registered before the JSON parser).
  const raw = express.raw({ type: () => true, limit: bodyLimit });

  const record = (event: StripeEvent, outcome: 'applied' | 'ignored') =>
    knex('psp_events')
      .insert({ id: event.id, type: event.type, created: new Date(event.created * 1000), outcome })
      .onConflict('id')
      .ignore();

  router.post(PSP_WEBHOOK_PATH, raw, async (req, res) => {
    if (!secret) throw new ServiceUnavailable('PSP_WEBHOOK_SECRET is not set: the PSP\'s events cannot be verified, so none is taken.');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = verifyStripeSignature(secret, body, req.get(STRIPE_SIGNATURE_HEADER), { now: now().getTime() });
    if (!check.valid) {
      logger.warn({ reason: check.reason }, 'a PSP webhook was refused: bad signature');
      throw new BadRequest(`The ${STRIPE_SIGNATURE_HEADER} does not verify: ${check.reason}.`, { code: 'signature_invalid' });
    }
    let event: StripeEvent;
    try {
      event = JSON.parse(body.toString('utf8')) as StripeEvent;
    } catch {
      throw new BadRequest('The body is not JSON.', { code: 'malformed_event' });
    }
    if (typeof event?.id !== 'string' || typeof event.type !== 'string' || typeof event.created !== 'number' || typeof event.data?.object !== 'object' || event.data.object === null) {
      throw new BadRequest('The body is not a PSP event (id, type, created, data.object).', { code: 'malformed_event' });
    }
    if (!PAYMENT_INTENT_EVENTS.has(event.type) && !DISPUTE_EVENTS.has(event.type) && !PAYOUT_EVENTS.has(event.type)) {
      // An event this service does not act on (charge.succeeded, payment_intent.created...): recorded, in one statement.
      const fresh = await record(event, 'ignored').returning('id');
      res.json({ received: true, ...(fresh.length === 0 ? { duplicate: true } : {}) });
      return;
    }
    if (await knex('psp_events').where({ id: event.id }).first()) {
      res.json({ received: true, duplicate: true });
      return;
    }
    const log = logger.child({ pspEvent: event.id, type: event.type });

    if (PAYMENT_INTENT_EVENTS.has(event.type)) {
      const pi = event.data.object as components['schemas']['PaymentIntent'];
      const paymentId = pi.metadata?.payment_id;
      const found = await payments.byIntentId(pi.id);
      if (!found) {
        log.info({ intent: pi.id, paymentId }, 'a PSP event for an intent no payment of ours was submitted with: ignored');
        await record(event, 'ignored');
        res.json({ received: true });
        return;
      }
      if (found.status !== 'submitted') {
        // Only a submitted payment waits for the PSP's word: one settled already (by the payment
        // page, or an earlier event) never moves again, so the PSP is not asked (in the usual case,
        // the page has settled the payment before the PSP's event arrives).
        log.debug({ paymentId: found.id, status: found.status }, 'a PSP payment event for a payment already settled: nothing to do');
        await record(event, 'ignored');
        res.json({ received: true });
        return;
      }
      let snapshot;
      try {
        // The intent as it stands now, not as the event saw it: events come in any order.
        snapshot = await psp.retrieveIntent(pi.id);
      } catch (error) {
        if (error instanceof PspUnavailable) throw new ServiceUnavailable('The PSP cannot be asked how the intent stands now; deliver the event again.');
        if (error instanceof PspRequestRefused) {
          log.error({ err: error }, 'the PSP refused to show an intent its own event named');
          throw new BadGateway('The PSP refused to show the intent its event named.');
        }
        throw error;
      }
      const settled = await settlePayment(payments, found, snapshot.outcome);
      log.info({ paymentId: found.id, status: settled.status }, 'a PSP payment event handled');
      await record(event, 'applied');
      res.json({ received: true });
      return;
    }

    if (DISPUTE_EVENTS.has(event.type)) {
      const snapshot = disputeSnapshotOf(event.data.object as components['schemas']['Dispute']);
      const applied = await disputes.apply(snapshot, { source: 'webhook', pspEvent: { id: event.id, type: event.type, created: new Date(event.created * 1000) } });
      if (applied.outcome === 'no_payment') log.info({ dispute: snapshot.disputeId, intent: snapshot.paymentIntentId }, 'a dispute on no payment of ours: ignored');
      else if (applied.outcome === 'applied') log.info({ disputeId: applied.dispute.id, status: applied.dispute.status }, 'a PSP dispute event handled');
      res.json({ received: true, ...(applied.outcome === 'duplicate' ? { duplicate: true } : {}) });
      return;
    }

    if (PAYOUT_EVENTS.has(event.type)) {
      let snapshot: PayoutSnapshot;
      try {
        snapshot = payoutSnapshotOf(event.data.object as components['schemas']['Payout']);
      } catch (error) {
        if (!(error instanceof PspError)) throw error;
        log.warn({ err: error }, 'a payout this service does not take: ignored');
        await record(event, 'ignored');
        res.json({ received: true });
        return;
      }
      const applied = await payouts.apply(snapshot, { id: event.id, type: event.type, created: new Date(event.created * 1000) });
      if (applied.outcome === 'applied') log.info({ payout: applied.payout.id, status: applied.payout.status, posted: applied.posted }, 'a PSP payout event handled');
      res.json({ received: true, ...(applied.outcome === 'duplicate' ? { duplicate: true } : {}) });
      return;
    }
  });
}
