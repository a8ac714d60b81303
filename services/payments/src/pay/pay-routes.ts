import { createHmac } from 'node:crypto';
import { requestLogFields, type Logger } from '@tamkeen/http-kit';
import type { IRouter, Request, Response } from 'express';
import { z } from 'zod';
import type { Payment, PaymentRepository } from '../payments/payment-repository.js';
import { settlePayment, settleSubmittedWithPsp } from '../payments/payment-settlement.js';
import { PspRequestRefused, PspUnavailable, type ConfirmOutcome, type PaymentProvider } from '../psp/payment-provider.js';
import { expiredIfDue } from '../payments/payment-expiry.js';
import { CALLBACK_PATH, type PayLogin } from '../citizen-login/pay-login.js';
import { IssuerUnavailable } from '../citizen-login/citizen-issuer.js';
import { loginRequired, serviceNameOf, type PaymentSettings } from '../settings/payment-settings.js';
import type { SettingsRepository } from '../settings/settings-repository.js';
import { CARD_SCRIPT } from './card-script.js';
import { contentSecurityPolicy, csrfGuard, languageOf, sendPage } from './pay-kit.js';
import { cardPage, failureReason, loginPage, loginProblemPage, loginUnavailablePage, messagePage, outcomePage, STYLESHEET, unavailablePage, type Lang, type MessageKey } from './pay-pages.js';

export interface PayRoutesDeps {
  payments: PaymentRepository;
  psp: PaymentProvider;
  logger: Logger;
  /** The platform's public origin: the PSP sends the browser back to <publicUrl>/pay/<id>/return. */
  publicUrl: string;
  /** Where the browser reaches the PSP (tokenising the card). */
  pspBrowserUrl: string;
  publishableKey: string;
  /** The PSP secret key: only a CSRF key is derived from it here (never sent, never logged). */
  pspSecretKey: string;
  /** The ministries' payment settings: their names on the page, and the amounts above which the citizen must log in. */
  settings: SettingsRepository;
  /** The citizen login at the citizen issuer; undefined when not configured (then a payment above a threshold cannot be taken). */
  login?: PayLogin;
  now?: () => Date;
}

/** How a payment stands with its ministry's login threshold, in this browser. */
type Gate = 'not_needed' | 'logged_in' | 'needed' | 'unavailable';

/** Submitting found another citizen recorded as the payer since this browser's login was checked. */
class PayerChanged extends Error {}

const PAYMENT_METHOD = /^pm_[A-Za-z0-9_]{1,250}$/;

/**
 * The hosted payment page (/pay/<id>): the citizen sees what they pay, types a card that the page's
 * script tokenises at the PSP, and the server confirms the PSP's PaymentIntent with that token;
 * 3-D Secure goes to the PSP's page and back to /return; /result says how it ended and leads back
 * to the ministry's return_url. The payment's own id (a random UUID) is what lets one in.
 */
export function payRoutes(router: IRouter, { payments, psp, logger, publicUrl, pspBrowserUrl, publishableKey, pspSecretKey, settings, login, now = () => new Date() }: PayRoutesDeps): void {
  const csp = contentSecurityPolicy(new URL(pspBrowserUrl).origin);
  // One key for every instance, with no new secret to manage: derived, so the PSP key itself is never used as one.
  const csrf = csrfGuard(createHmac('sha256', pspSecretKey).update('tamkeen pay page csrf key').digest(), { secure: publicUrl.startsWith('https:') });
  const send = (res: Response, status: number, html: string) => sendPage(res, status, html, csp);
  const path = (id: string, rest = '') => `/pay/${id}${rest}`;
  const withLang = (href: string, lang: Lang) => `${href}?lang=${lang}`;
  const switchOf = (href: string, lang: Lang) => withLang(href, lang === 'ar' ? 'en' : 'ar');

  router.get('/pay/static/pay.css', (_req, res) => {
    res.set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' }).send(STYLESHEET);
  });
  router.get('/pay/static/pay.js', (_req, res) => {
    res.set({ 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' }).send(CARD_SCRIPT);
  });

  /** The payment, expired first if its time is past; undefined (and a 404 page sent) when there is none. */
  async function open(req: Request, res: Response, lang: Lang): Promise<Payment | undefined> {
    const id = String(req.params.id);
    const payment = z.uuid().safeParse(id).success ? await payments.byId(id) : undefined;
    if (!payment) {
      send(res, 404, messagePage({ lang, switchHref: switchOf(req.path, lang), title: 'notFoundTitle', message: 'notFound' }));
      return undefined;
    }
    return expiredIfDue(payments, payment, now());
  }

  /** Moves a submitted payment as the PSP's answer says; waiting answers leave it submitted (shared with the PSP's webhooks). */
  const settle = (payment: Payment, outcome: ConfirmOutcome | { kind: 'open' }) => settlePayment(payments, payment, outcome);

  /** Asks the PSP how a submitted payment's intent stands and settles it; as it was if the PSP cannot say now. */
  const refresh = (payment: Payment): Promise<Payment> => settleSubmittedWithPsp({ payments, psp, logger }, payment);

  const ministryOf = async (payment: Payment, lang: Lang) => serviceNameOf(await settings.get(payment.organisationId), payment.organisationId, lang);

  /**
   * Whether this browser may be offered the card form for the payment: no login needed (at or
   * under the ministry's threshold, or none set), or this browser logged in as the recorded payer;
   * otherwise a login is needed, or cannot be had (not configured).
   */
  function gateOf(req: Request, payment: Payment, found: PaymentSettings | undefined): Gate {
    if (!loginRequired(found, payment)) return 'not_needed';
    if (!login) return 'unavailable';
    return login.proven(req, payment) ? 'logged_in' : 'needed';
  }

  async function showOutcome(res: Response, payment: Payment, lang: Lang, switchHref: string): Promise<void> {
    let failure;
    if (payment.status === 'failed') {
      const fail = (await payments.events(payment.id)).findLast((e) => e.event === 'fail');
      failure = failureReason(fail?.data);
    }
    send(res, 200, outcomePage({ lang, payment, ministry: await ministryOf(payment, lang), switchHref, ...(failure ? { failure } : {}) }));
  }

  /** The page of a payment that needs a login this browser has not done (or cannot do): never the card form. */
  function sendLoginGate(res: Response, payment: Payment, gate: 'needed' | 'unavailable', lang: Lang, ministry: string, status: number, error?: MessageKey) {
    const switchHref = switchOf(path(payment.id), lang);
    if (gate === 'unavailable') {
      logger.error({ paymentId: payment.id }, 'a payment above its ministry\'s login threshold cannot be taken: the citizen login is not configured (CITIZEN_ISSUER, CITIZEN_ISSUER_INTERNAL_URL, PAY_LOGIN_CLIENT_ID, PAY_LOGIN_CLIENT_SECRET)');
      return send(res, 503, loginUnavailablePage({ lang, payment, ministry, switchHref }));
    }
    send(res, status, loginPage({ lang, payment, ministry, switchHref, loginHref: withLang(path(payment.id, '/login'), lang), ...(error ? { error } : {}) }));
  }

  router.get('/pay/:id', async (req, res) => {
    const lang = languageOf(req);
    let payment = await open(req, res, lang);
    if (!payment) return;
    if (payment.status === 'submitted') return res.redirect(303, withLang(path(payment.id, '/result'), lang));
    if (payment.status === 'created') {
      const started = await payments.transition(payment.id, 'start');
      if (started.outcome !== 'not_found') payment = started.payment;
    }
    if (payment.status !== 'started') return showOutcome(res, payment, lang, switchOf(req.path, lang));
    const found = await settings.get(payment.organisationId);
    const ministry = serviceNameOf(found, payment.organisationId, lang);
    const gate = gateOf(req, payment, found);
    if (gate === 'needed' || gate === 'unavailable') return sendLoginGate(res, payment, gate, lang, ministry, 200);
    send(res, 200, cardPage({ lang, payment, ministry, loggedIn: gate === 'logged_in', action: withLang(path(payment.id), lang), switchHref: switchOf(req.path, lang), csrf: csrf.issue(req, res, payment.id), pspUrl: pspBrowserUrl, publishableKey }));
  });

  router.post('/pay/:id', async (req, res) => {
    const lang = languageOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const id = String(req.params.id);
    const result = withLang(path(id, '/result'), lang);
    if (!csrf.matches(req, id, body.csrf)) return send(res, 403, messagePage({ lang, switchHref: switchOf(path(id), lang), title: 'payTitle', message: 'csrf' }));
    const payment = await open(req, res, lang);
    if (!payment) return;
    if (payment.status !== 'started' && payment.status !== 'created') return res.redirect(303, payment.status === 'submitted' || payment.status === 'succeeded' || payment.status === 'failed' ? result : withLang(path(id), lang));
    const found = await settings.get(payment.organisationId);
    const ministry = serviceNameOf(found, payment.organisationId, lang);
    // Above the ministry's threshold, only the browser that logged in as the recorded payer may submit.
    const gate = gateOf(req, payment, found);
    if (gate === 'needed' || gate === 'unavailable') return sendLoginGate(res, payment, gate, lang, ministry, 403, 'loginFirst');
    const payer = gate === 'logged_in' ? payment.paidBy : undefined;
    const formPage = (error: MessageKey) => cardPage({ lang, payment, ministry, loggedIn: gate === 'logged_in', action: withLang(path(id), lang), switchHref: switchOf(path(id), lang), csrf: csrf.issue(req, res, id), pspUrl: pspBrowserUrl, publishableKey, error });
    const paymentMethod = typeof body.payment_method === 'string' ? body.payment_method : '';
    if (!PAYMENT_METHOD.test(paymentMethod)) return send(res, 400, formPage('badToken'));
    if (payment.status === 'created') await payments.transition(id, 'start');

    let submitted: Payment;
    try {
      // Idempotent on the payment's id: a double click, or a retry after a crash, finds the same intent.
      const intent = await psp.createIntent({ paymentId: id, amount: { amount: payment.amount, currency: payment.currency }, description: payment.description });
      const moved = await payments.transition(id, 'submit', {
        data: { psp_payment_intent_id: intent.intentId },
        changes: { psp_payment_intent_id: intent.intentId },
        // Under the submit's row lock: the payer this browser proved is still the one recorded (a login elsewhere since moves nothing).
        ...(payer ? { onApplied: async (_trx, moving) => { if (moving.paidBy !== payer) throw new PayerChanged(); } } : {}),
      });
      if (moved.outcome === 'not_found') return res.redirect(303, withLang(path(id), lang));
      // The other click of a double click got here first: its answer is on the result page.
      if (moved.outcome === 'already') return res.redirect(303, result);
      if (moved.outcome === 'refused') return res.redirect(303, moved.payment.status === 'succeeded' || moved.payment.status === 'failed' ? result : withLang(path(id), lang));
      submitted = moved.payment;
    } catch (error) {
      if (error instanceof PayerChanged) return sendLoginGate(res, (await payments.byId(id)) ?? payment, 'needed', lang, ministry, 403, 'loginAgain');
      if (error instanceof PspRequestRefused) {
        // The PSP will not take this payment (an amount under its minimum, a wrong key): trying again will not help.
        logger.error({ err: error, paymentId: id }, 'the PSP refused to open an intent; the payment stays started');
        return send(res, 502, messagePage({ lang, switchHref: switchOf(path(id), lang), title: 'payTitle', message: 'cannotCharge' }));
      }
      if (!(error instanceof PspUnavailable)) throw error;
      // Nothing is submitted: the payment is still started and the citizen can simply try again.
      const now = await payments.byId(id);
      if (now && now.status !== 'started') return res.redirect(303, result);
      logger.warn({ err: error, paymentId: id }, 'the PSP could not open an intent; the payment stays started');
      return send(res, 503, formPage('pspDown'));
    }

    let outcome: ConfirmOutcome;
    try {
      const returnUrl = `${publicUrl}${path(id, '/return')}${lang === 'en' ? '?lang=en' : ''}`;
      outcome = await psp.confirmIntent({ intentId: submitted.pspPaymentIntentId!, paymentMethodId: paymentMethod, returnUrl });
    } catch (error) {
      if (error instanceof PspRequestRefused) {
        // A token the PSP does not know (or another request it refuses): not charged, and final.
        logger.warn({ err: error, paymentId: id }, 'the PSP refused to confirm the intent; the payment fails');
        await payments.transition(id, 'fail', { data: { code: error.code ?? 'payment_method_refused' } });
        return res.redirect(303, result);
      }
      if (!(error instanceof PspUnavailable)) throw error;
      // Whether the card was charged is unknown: the payment stays submitted, and reading its result asks the PSP again.
      logger.warn({ err: error, paymentId: id }, 'the PSP did not answer the confirmation; the payment stays submitted');
      return send(res, 503, unavailablePage({ lang, switchHref: switchOf(path(id), lang), resultHref: result }));
    }
    if (outcome.kind === 'requires_action') return res.redirect(303, outcome.redirectUrl);
    await settle(submitted, outcome);
    res.redirect(303, result);
  });

  // Back from the PSP's 3-D Secure page: its query string says how it went, but only the PSP is believed.
  router.get('/pay/:id/return', async (req, res) => {
    const lang = languageOf(req);
    const payment = await open(req, res, lang);
    if (!payment) return;
    await refresh(payment);
    res.redirect(303, withLang(path(payment.id, '/result'), lang));
  });

  // "Log in to pay": off to the citizen issuer, asking for substantial, in the page's language.
  router.get('/pay/:id/login', async (req, res) => {
    const lang = languageOf(req);
    const payment = await open(req, res, lang);
    if (!payment) return;
    const back = withLang(path(payment.id), lang);
    if (payment.status !== 'created' && payment.status !== 'started') return res.redirect(303, back);
    // Nothing to log in for (at or under the threshold), or no way to (the page says so).
    if (!login || !loginRequired(await settings.get(payment.organisationId), payment)) return res.redirect(303, back);
    try {
      res.redirect(303, await login.start(req, res, payment.id, lang));
    } catch (error) {
      if (!(error instanceof IssuerUnavailable)) throw error;
      logger.warn({ err: error, paymentId: payment.id }, 'the citizen issuer could not be reached to start a login to pay');
      send(res, 503, loginProblemPage({ lang, switchHref: switchOf(path(payment.id, '/login'), lang), message: 'loginIssuerDown', backHref: back }));
    }
  });

  // Back from the citizen issuer (the one redirect URI of every payment): the payment is in the login's state, kept server-side.
  router.get(CALLBACK_PATH, async (req, res) => {
    if (!login) return send(res, 404, messagePage({ lang: languageOf(req), switchHref: switchOf(CALLBACK_PATH, languageOf(req)), title: 'notFoundTitle', message: 'notFound' }));
    const finished = await login.finish(req);
    requestLogFields(res).login = finished.outcome;
    if (finished.outcome === 'unknown_state' || finished.outcome === 'other_browser') {
      const lang = languageOf(req);
      logger.warn({ outcome: finished.outcome }, 'a login to pay came back with a state this browser did not start; nothing recorded');
      return send(res, finished.outcome === 'unknown_state' ? 400 : 403, loginProblemPage({ lang, switchHref: switchOf(CALLBACK_PATH, lang), message: finished.outcome === 'unknown_state' ? 'loginExpired' : 'loginOtherBrowser' }));
    }
    const { paymentId, lang } = finished;
    requestLogFields(res).paymentId = paymentId;
    const back = withLang(path(paymentId), lang);
    const problem = (status: number, message: MessageKey) => send(res, status, loginProblemPage({ lang, switchHref: switchOf(path(paymentId), lang), message, backHref: back }));
    switch (finished.outcome) {
      case 'not_completed':
        return problem(200, 'loginNotCompleted');
      case 'refused':
        logger.warn({ paymentId, reason: finished.reason }, 'a login to pay was refused; nothing recorded');
        return problem(403, finished.reason === 'acr_too_low' ? 'loginRefused' : 'loginUnusable');
      case 'unavailable':
        logger.warn({ paymentId }, 'the citizen issuer could not be reached to finish a login to pay');
        return problem(503, 'loginIssuerDown');
    }
    const { sub, acr, amr, authTime } = finished.login;
    const payment = await payments.byId(paymentId);
    if (payment) await expiredIfDue(payments, payment, now());
    const recorded = await payments.recordPayer(paymentId, sub, { sub, acr, amr, ...(authTime ? { auth_time: authTime.toISOString() } : {}) });
    // Not payable any more (paid, cancelled, expired meanwhile): its page says how it stands.
    if (recorded.outcome !== 'recorded') return res.redirect(303, back);
    requestLogFields(res).acr = acr;
    login.prove(res, paymentId, sub);
    res.redirect(303, back);
  });

  router.get('/pay/:id/result', async (req, res) => {
    const lang = languageOf(req);
    const payment = await open(req, res, lang);
    if (!payment) return;
    if (payment.status === 'created' || payment.status === 'started') return res.redirect(303, withLang(path(payment.id), lang));
    await showOutcome(res, await refresh(payment), lang, switchOf(req.path, lang));
  });
}
