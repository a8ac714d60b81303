import type { Knex, Redis } from '@tamkeen/db';
import { requestLogFields, type Logger } from '@tamkeen/http-kit';
import type { IRouter, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { IssuerUnavailable } from '../citizen-login/citizen-issuer.js';
import { PLATFORM_ORGANISATION_ID } from '../ledger/ledger-routes.js';
import { ledgerDay } from '../ledger/ledger.js';
import { languageOf, sendPage } from '../pay/pay-kit.js';
import { exceptionWorkQueue, NoAmount, writeOffPostings, type Acted, type ManualMatch, type Refusal } from '../reconciliation/exception-resolution.js';
import { DEFAULT_STATEMENT_MAX_BYTES } from '../statements/statement-config.js';
import { serviceNameOf } from '../settings/payment-settings.js';
import type { SettingsRepository } from '../settings/settings-repository.js';
import { exceptionsLongestWaiting } from '../reconciliation/exception-list.js';
import { disputeOf, disputesDueSoon, kindsSeen, openExceptionsByKind, receiptsOfDay, STATUS_FILTERS, type StatusFilter } from './finance-data.js';
import { consolePath, FINANCE_CALLBACK_PATH, financeOfficerOf, type FinanceLogin } from './finance-login.js';
import { receiveStatement, UPLOAD_STATUS } from './finance-upload.js';
import { comingPage, dashboardPage, statementPage, statementsPage, type UploadShown, disputePage, DONE, exceptionPage, FINANCE_STYLESHEET, messagePage, queuePage, reportsPage, switchOf, withLang, type ExceptionInput, type FormError } from './finance-pages.js';
import type { FinanceSeams } from './finance-seams.js';
import { financeSessions, type FinanceSession } from './finance-sessions.js';
import { KNOWN_KINDS, MATCH_RECORDS, type Lang, type MatchRecord, type MessageKey } from './finance-text.js';

export interface FinanceRoutesDeps {
  knex: Knex;
  redis: Redis;
  logger: Logger;
  /** The staff login at the enterprise issuer (finance-login.ts). */
  login: FinanceLogin;
  /** The platform's public origin: https there makes the cookies Secure. */
  publicUrl: string;
  /** FINANCE_REDIS_PREFIX: where sessions and the officers seen are kept. */
  keyPrefix: string;
  sessionIdleMinutes: number;
  /** The ministries' payment settings: their names. */
  settings: SettingsRepository;
  /** What others build and the console will call (finance-seams.ts); absent: those pages say what is coming. */
  seams?: FinanceSeams;
  /** The largest statement file taken (STATEMENT_MAX_BYTES). */
  statementMaxBytes?: number;
  platformOrganisationId?: string;
  /** Disputes whose evidence is due within this many days are on the dashboard. */
  disputeDueDays?: number;
  now?: () => Date;
}

/** Only the console's own stylesheet; forms post to this origin; no script, no frames. */
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const uuid = z.uuid();
const reason = z.string().trim().max(2000);

/** Each refusal of the work queue: the page's status and words. */
const REFUSED: Record<Refusal['refused'], { status: number; message: MessageKey }> = {
  not_found: { status: 404, message: 'notFound' },
  resolved: { status: 409, message: 'errorResolved' },
  awaiting_approval: { status: 409, message: 'errorAwaiting' },
  not_awaiting_approval: { status: 409, message: 'errorNotAwaiting' },
  own_write_off: { status: 403, message: 'errorFourEyes' },
  no_amount: { status: 422, message: 'errorNoAmount' },
};

const MATCH_KEYS: Record<MatchRecord, keyof ManualMatch> = {
  payment_id: 'paymentId',
  refund_id: 'refundId',
  dispute_id: 'disputeId',
  payout_id: 'payoutId',
  balance_transaction_id: 'balanceTransactionId',
  bank_entry_id: 'bankEntryId',
};

/** An action from its form: what to do, or what is wrong; `values` what was typed (shown again when it is wrong). */
type Parsed = { act: (actor: string) => Promise<Acted>; done: string; values: Record<string, string> } | { error: FormError; values: Record<string, string> };

/**
 * The finance console (/finance), for the platform's finance officers: the enterprise login
 * (finance-login.ts) and a session (finance-sessions.ts); the dashboard (today's receipts by
 * ministry from the ledger, the unreconciled items and their age, disputes whose evidence is due);
 * the exception queue, worked through reconciliation's work queue directly (exception-resolution.ts:
 * every action's actor is the officer's sub); a dispute; statement upload and reports (seams).
 * Server-rendered, no script, CSRF on every form, errors in words on the page.
 */
export function financeRoutes(router: IRouter, deps: FinanceRoutesDeps): void {
  const { knex, redis, logger, login, publicUrl, keyPrefix, sessionIdleMinutes, settings, seams = {}, statementMaxBytes = DEFAULT_STATEMENT_MAX_BYTES, platformOrganisationId = PLATFORM_ORGANISATION_ID, disputeDueDays = 7, now = () => new Date() } = deps;
  const sessions = financeSessions({ redis, keyPrefix, secure: publicUrl.startsWith('https:'), idleS: sessionIdleMinutes * 60 });
  const queue = exceptionWorkQueue(knex, { now });
  const send = (res: Response, status: number, html: string) => sendPage(res, status, html, CSP);
  const sessionOf = (res: Response) => res.locals.financeSession as FinanceSession;
  const loginHref = (lang: Lang, next?: string) => withLang('/finance/login', lang, { next });

  /** The finance officers the console has seen, with the one logged in (their names, by sub). */
  async function officersWith(session: FinanceSession) {
    const officers = await sessions.officers();
    officers.set(session.officer.sub, { name: session.officer.name, email: session.officer.email });
    return officers;
  }
  /** An officer's name from the console's directory; their sub when it has not seen them. */
  const nameFrom = (officers: Map<string, { name: string }>) => (sub: string) => officers.get(sub)?.name ?? sub;

  /** The ministries' names in the page's language (their payment settings' service name, else their id). */
  async function ministryNames(ids: Iterable<string | null>, lang: Lang): Promise<(organisationId: string) => string> {
    const names = new Map<string, string>();
    for (const id of new Set(ids)) if (id) names.set(id, serviceNameOf(await settings.get(id), id, lang));
    return (id) => names.get(id) ?? id;
  }

  router.get('/finance/static/finance.css', (_req, res) => {
    res.set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' }).send(FINANCE_STYLESHEET);
  });

  // Off to the enterprise issuer; back at `next` (a console page) once logged in.
  router.get('/finance/login', async (req, res) => {
    const lang = languageOf(req);
    try {
      res.redirect(303, await login.start(req, res, consolePath(req.query.next), lang));
    } catch (error) {
      if (!(error instanceof IssuerUnavailable)) throw error;
      logger.warn({ err: error }, 'the enterprise issuer could not be reached to start a finance console login');
      send(res, 503, messagePage({ lang, switchHref: switchOf(req.originalUrl, lang), title: 'loginProblemTitle', message: 'loginIssuerDown', link: { href: req.originalUrl, label: 'loginAgain' } }));
    }
  });

  router.get(FINANCE_CALLBACK_PATH, async (req, res) => {
    const finished = await login.finish(req);
    requestLogFields(res).login = finished.outcome;
    const lang = finished.outcome === 'unknown_state' || finished.outcome === 'other_browser' ? languageOf(req) : finished.lang;
    const problem = (status: number, message: MessageKey, title: MessageKey = 'loginProblemTitle', label: MessageKey = 'loginAgain') =>
      send(res, status, messagePage({ lang, switchHref: withLang('/finance/login', lang === 'ar' ? 'en' : 'ar'), title, message, link: { href: loginHref(lang, 'context' in finished ? finished.context : undefined), label } }));
    switch (finished.outcome) {
      case 'unknown_state':
      case 'other_browser':
        logger.warn({ outcome: finished.outcome }, 'a finance console login came back with a state this browser did not start');
        return problem(finished.outcome === 'unknown_state' ? 400 : 403, finished.outcome === 'unknown_state' ? 'loginExpired' : 'loginOtherBrowser');
      case 'not_completed':
        return problem(200, 'loginNotCompleted');
      case 'refused':
        logger.warn({ reason: finished.reason }, 'a finance console login was refused');
        return problem(403, 'loginRefused');
      case 'unavailable':
        logger.warn('the enterprise issuer could not be reached to finish a finance console login');
        return problem(503, 'loginIssuerDown');
    }
    const decided = financeOfficerOf(finished.login, platformOrganisationId);
    if ('refused' in decided) {
      // Whoever was logged in in this browser before is not any more: this person logged in.
      await sessions.destroy(req, res);
      requestLogFields(res).refused = decided.refused;
      logger.warn({ sub: finished.login.sub, organisation: finished.login.claims.organisation_id, reason: decided.refused }, 'a staff member who is not one of the platform\'s finance officers tried the finance console');
      return problem(403, decided.refused === 'other_organisation' ? 'otherOrganisation' : 'notFinanceOfficer', 'notForYouTitle', 'loginAsSomeoneElse');
    }
    await sessions.create(req, res, decided.officer);
    requestLogFields(res).officer = decided.officer.sub;
    logger.info({ officer: decided.officer.sub, acr: decided.officer.acr }, 'a finance officer logged in to the finance console');
    res.redirect(303, withLang(finished.context, lang));
  });

  router.post('/finance/logout', async (req, res) => {
    const lang = languageOf(req);
    const session = await sessions.read(req, res);
    if (session && !sessions.csrfMatches(session, (req.body as Record<string, unknown> | undefined)?.csrf)) {
      return send(res, 403, messagePage({ lang, switchHref: withLang('/finance', lang === 'ar' ? 'en' : 'ar'), title: 'logout', message: 'errorCsrf', session, link: { href: withLang('/finance', lang), label: 'backToDashboard' } }));
    }
    await sessions.destroy(req, res);
    if (session) logger.info({ officer: session.officer.sub }, 'a finance officer logged out of the finance console');
    res.redirect(303, withLang('/finance/logged-out', lang));
  });

  router.get('/finance/logged-out', (req, res) => {
    const lang = languageOf(req);
    send(res, 200, messagePage({ lang, switchHref: switchOf(req.originalUrl, lang), title: 'loggedOutTitle', message: 'loggedOut', tone: 'notice', link: { href: loginHref(lang), label: 'loginAgain' } }));
  });

  // Everything below is a finance officer's: a page asked for without a session goes to the login, a form posted without one is refused.
  const officerOnly: RequestHandler = async (req, res, next) => {
    const session = await sessions.read(req, res);
    if (!session) {
      const lang = languageOf(req);
      // A form's page: the address it posted to, less its action.
      const back = consolePath(req.method === 'GET' || req.method === 'HEAD' ? req.originalUrl : req.originalUrl.replace(/\/[a-z]+(\?.*)?$/, '$1'));
      if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, loginHref(lang, back));
      return send(res, 403, messagePage({ lang, switchHref: withLang('/finance', lang === 'ar' ? 'en' : 'ar'), title: 'sessionEndedTitle', message: 'sessionEnded', link: { href: loginHref(lang, back), label: 'loginAgain' } }));
    }
    res.locals.financeSession = session;
    requestLogFields(res).officer = session.officer.sub;
    next();
  };
  router.use('/finance', officerOnly);

  router.get('/finance', async (req, res) => {
    const lang = languageOf(req);
    const at = now();
    const day = ledgerDay(at);
    const [receipts, open, disputes] = await Promise.all([receiptsOfDay(knex, day), openExceptionsByKind(knex), disputesDueSoon(knex, at, disputeDueDays)]);
    const ministryName = await ministryNames([...receipts.map((r) => r.organisationId), ...disputes.map((d) => d.organisationId)], lang);
    send(res, 200, dashboardPage({ lang, session: sessionOf(res), switchHref: switchOf(req.originalUrl, lang), now: at, day, receipts, ministryName, open, disputes }));
  });

  router.get('/finance/exceptions', async (req, res) => {
    const lang = languageOf(req);
    const kind = typeof req.query.kind === 'string' && /^[a-z_]{1,64}$/.test(req.query.kind) ? req.query.kind : undefined;
    const status: StatusFilter = STATUS_FILTERS.find((s) => s === req.query.status) ?? 'unresolved';
    const [{ exceptions, more }, seen, officers] = await Promise.all([exceptionsLongestWaiting(knex, { kind, status: status === 'all' ? undefined : status }, 100), kindsSeen(knex), sessions.officers()]);
    const ministryName = await ministryNames(exceptions.map((x) => x.organisation_id), lang);
    send(
      res,
      200,
      queuePage({
        lang,
        session: sessionOf(res),
        switchHref: switchOf(req.originalUrl, lang),
        now: now(),
        kinds: [...new Set([...KNOWN_KINDS, ...seen])],
        filter: { kind, status },
        statuses: STATUS_FILTERS,
        exceptions,
        more,
        officerName: nameFrom(officers),
        ministryName,
      }),
    );
  });

  /** One exception's page: with what just succeeded, or what went wrong (and what was typed). */
  async function showException(req: Request, res: Response, status: number, extra: Pick<ExceptionInput, 'done' | 'error' | 'values'> = {}): Promise<void> {
    const lang = languageOf(req);
    const id = String(req.params.id);
    const found = uuid.safeParse(id).success ? await queue.find(id) : undefined;
    if (!found) return notFound(req, res);
    const session = sessionOf(res);
    const directory = await officersWith(session);
    const { exception } = found;
    let writeOff: ExceptionInput['writeOff'];
    try {
      writeOff = writeOffPostings(exception.kind, exception.currency, exception.amount === null ? null : Number(exception.amount), exception.expected_amount === null ? null : Number(exception.expected_amount)) ?? 'nothing';
    } catch (error) {
      if (!(error instanceof NoAmount)) throw error;
      writeOff = 'no_amount';
    }
    send(
      res,
      status,
      exceptionPage({
        lang,
        session,
        switchHref: withLang(`/finance/exceptions/${id}`, lang === 'ar' ? 'en' : 'ar'),
        now: now(),
        exception,
        history: found.history,
        officers: [...directory].map(([sub, o]) => ({ sub, name: o.name })).sort((a, b) => a.name.localeCompare(b.name)),
        officerName: nameFrom(directory),
        ministryName: await ministryNames([exception.organisation_id], lang),
        writeOff,
        ...extra,
      }),
    );
  }

  function notFound(req: Request, res: Response): void {
    const lang = languageOf(req);
    send(res, 404, messagePage({ lang, switchHref: switchOf(req.originalUrl, lang), title: 'notFoundTitle', message: 'notFound', session: res.locals.financeSession as FinanceSession | undefined, link: { href: withLang('/finance', lang), label: 'backToDashboard' } }));
  }

  router.get('/finance/exceptions/:id', async (req, res) => {
    const done = typeof req.query.done === 'string' ? DONE[req.query.done] : undefined;
    await showException(req, res, 200, { done });
  });

  /** The form of `action`, read: the work queue's call, or the field that is wrong. */
  async function parse(action: string, body: Record<string, unknown>, exceptionId: string): Promise<Parsed | undefined> {
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    const why = (name: string, id: string, required: boolean): { value: string } | { error: FormError } => {
      const parsed = reason.safeParse(field(name));
      if (!parsed.success) return { error: { message: 'errorTooLong', field: id } };
      if (required && parsed.data === '') return { error: { message: 'errorReason', field: id } };
      return { value: parsed.data };
    };
    switch (action) {
      case 'assign': {
        const values = { 'assign-reason': field('reason') };
        const given = why('reason', 'assign-reason', false);
        if ('error' in given) return { ...given, values };
        const assignee = field('assignee');
        if (!(await sessions.officers()).has(assignee)) return { error: { message: 'errorAssignee', field: 'assign-assignee' }, values };
        return { act: (actor) => queue.assign(exceptionId, actor, assignee, given.value || null), done: 'assigned', values };
      }
      case 'comments': {
        const values = { 'comment-text': field('text') };
        const given = why('text', 'comment-text', true);
        if ('error' in given) return { error: given.error.message === 'errorReason' ? { message: 'errorComment', field: 'comment-text' } : given.error, values };
        return { act: (actor) => queue.comment(exceptionId, actor, given.value), done: 'commented', values };
      }
      case 'resolve': {
        if (field('resolution') === 'write_off') {
          const values = { 'write-off-reason': field('reason') };
          const given = why('reason', 'write-off-reason', true);
          if ('error' in given) return { ...given, values };
          return { act: (actor) => queue.requestWriteOff(exceptionId, actor, given.value), done: 'write_off_requested', values };
        }
        const record = field('record');
        const recordId = field('record_id').trim();
        const values = { 'match-record': record, 'match-id': recordId, 'match-reason': field('reason') };
        if (field('resolution') !== 'manual_match' || !Object.hasOwn(MATCH_RECORDS, record)) return { error: { message: 'errorMatchRecord', field: 'match-record' }, values };
        const key = MATCH_KEYS[record as MatchRecord];
        if (['paymentId', 'refundId', 'disputeId'].includes(key) ? !uuid.safeParse(recordId).success : recordId.length < 1 || recordId.length > 255) {
          return { error: { message: ['paymentId', 'refundId', 'disputeId'].includes(key) ? 'errorMatchUuid' : 'errorMatchId', field: 'match-id' }, values };
        }
        const given = why('reason', 'match-reason', true);
        if ('error' in given) return { ...given, values };
        return { act: (actor) => queue.resolveByMatch(exceptionId, actor, given.value, { [key]: recordId }), done: 'resolved', values };
      }
      case 'approve': {
        const values = { 'approve-reason': field('reason') };
        const given = why('reason', 'approve-reason', false);
        if ('error' in given) return { ...given, values };
        return { act: (actor) => queue.approveWriteOff(exceptionId, actor, given.value || null), done: 'approved', values };
      }
      case 'reject': {
        const values = { 'reject-reason': field('reason') };
        const given = why('reason', 'reject-reason', true);
        if ('error' in given) return { ...given, values };
        return { act: (actor) => queue.rejectWriteOff(exceptionId, actor, given.value), done: 'rejected', values };
      }
      default:
        return undefined;
    }
  }

  // The work queue's actions, each the officer's (their sub is the actor), each recorded in the exception's history.
  router.post('/finance/exceptions/:id/:action', async (req, res) => {
    const lang = languageOf(req);
    const session = sessionOf(res);
    const id = String(req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!uuid.safeParse(id).success) return notFound(req, res);
    if (!sessions.csrfMatches(session, body.csrf)) return showException(req, res, 403, { error: { message: 'errorCsrf' } });
    const parsed = await parse(String(req.params.action), body, id);
    if (!parsed) return notFound(req, res);
    if ('error' in parsed) return showException(req, res, 400, parsed);
    const acted = await parsed.act(session.officer.sub);
    requestLogFields(res).exception = id;
    if (acted.refused) {
      const refused = REFUSED[acted.refused];
      if (acted.refused === 'not_found') return notFound(req, res);
      return showException(req, res, refused.status, { error: { message: refused.message }, values: parsed.values });
    }
    logger.info({ exception: id, action: parsed.done, officer: session.officer.sub }, 'a finance officer worked an exception');
    res.redirect(303, withLang(`/finance/exceptions/${id}`, lang, { done: parsed.done }));
  });

  router.get('/finance/disputes/:id', async (req, res) => {
    const lang = languageOf(req);
    const id = String(req.params.id);
    const found = uuid.safeParse(id).success ? await disputeOf(knex, id) : undefined;
    if (!found) return notFound(req, res);
    send(res, 200, disputePage({ lang, session: sessionOf(res), switchHref: switchOf(req.originalUrl, lang), now: now(), found, ministryName: await ministryNames([found.dispute.organisationId], lang) }));
  });

  // Statement upload (statements/statement-upload.ts through FinanceSeams.statements): the form, and the file it posts.
  async function showStatements(req: Request, res: Response, status: number, shown?: UploadShown): Promise<void> {
    const lang = languageOf(req);
    const session = sessionOf(res);
    if (!seams.statements) return send(res, 501, comingPage({ lang, session, switchHref: switchOf(req.originalUrl, lang), section: 'statements' }));
    const [recent, officers] = await Promise.all([seams.statements.recent(20), officersWith(session)]);
    send(res, status, statementsPage({ lang, session, switchHref: switchOf(req.originalUrl, lang), maxBytes: statementMaxBytes, recent, officerName: nameFrom(officers), ...(shown ? { shown } : {}) }));
  }

  router.get('/finance/statements', (req, res) => showStatements(req, res, 200));

  router.get('/finance/statements/:id', async (req, res) => {
    const lang = languageOf(req);
    const id = String(req.params.id);
    const shown = seams.statements && uuid.safeParse(id).success ? await seams.statements.statement(id, 200) : undefined;
    if (!shown) return notFound(req, res);
    const session = sessionOf(res);
    const officers = await officersWith(session);
    send(res, 200, statementPage({ lang, session, switchHref: switchOf(req.originalUrl, lang), shown, officerName: nameFrom(officers) }));
  });

  router.post('/finance/statements', async (req, res) => {
    const session = sessionOf(res);
    if (!seams.statements) return showStatements(req, res, 501);
    const shown = await receiveStatement(req, {
      uploads: seams.statements,
      maxBytes: statementMaxBytes,
      csrfMatches: (given) => sessions.csrfMatches(session, given),
      actor: session.officer.sub,
    });
    requestLogFields(res).upload = shown.outcome;
    if (shown.outcome === 'accepted') {
      logger.info({ officer: session.officer.sub, format: shown.format, statements: shown.statements.map((s) => ({ id: s.statement.id, outcome: s.outcome, entries: s.statement.entryCount })), matched: shown.matched, exceptions: shown.exceptions }, 'a finance officer uploaded a bank statement');
    } else {
      logger.warn({ officer: session.officer.sub, outcome: shown.outcome, ...(shown.outcome === 'rejected' ? { reason: shown.reason, line: shown.at?.line } : {}) }, 'a bank statement upload was refused');
    }
    await showStatements(req, res, UPLOAD_STATUS[shown.outcome], shown);
  });

  router.get('/finance/reports', (req, res) => {
    const lang = languageOf(req);
    if (!seams.reports) return send(res, 501, comingPage({ lang, session: sessionOf(res), switchHref: switchOf(req.originalUrl, lang), section: 'reports' }));
    const day = z.iso.date().safeParse(req.query.date).data ?? ledgerDay(now());
    send(res, 200, reportsPage({ lang, session: sessionOf(res), switchHref: switchOf(req.originalUrl, lang), day, reports: seams.reports.list() }));
  });

  router.get('/finance/reports/:report', async (req, res) => {
    const day = z.iso.date().safeParse(req.query.date).data;
    const format = req.query.format === 'json' ? 'json' : req.query.format === 'csv' ? 'csv' : undefined;
    const file = seams.reports && day && format ? await seams.reports.download(String(req.params.report), day, format) : undefined;
    if (!file) return notFound(req, res);
    res.set({ 'Content-Type': file.contentType, 'Content-Disposition': `attachment; filename="${file.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }).send(file.body);
  });

  // Anything else under /finance: the console's own "not found" page.
  router.use('/finance', (req, res) => notFound(req, res));
}
