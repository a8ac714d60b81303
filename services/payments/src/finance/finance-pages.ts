import { escapeHtml, pageShell } from '@tamkeen/http-kit';
import { CURRENCIES, formatMoney, isCurrency, type Currency } from '../domain/money.js';
import { LEDGER_TIME_ZONE, type PostingInput } from '../ledger/ledger.js';
import type { ExceptionEvent, ExceptionRow } from '../reconciliation/exception-resolution.js';
import type { DisputeDue, DisputeWithHistory, MinistryDay, OpenKind, StatusFilter } from './finance-data.js';
import type { BankStatement } from '../statements/statement-repository.js';
import type { StatementShown, StatementUpload } from '../statements/statement-upload.js';
import type { FinanceSession } from './finance-sessions.js';
import { actionName, disputeStatusName, kindName, MATCH_RECORDS, statusName, text, type Lang, type MessageKey } from './finance-text.js';

/**
 * The finance console's pages: the platform's page shell (Arabic and right to left by default,
 * English with ?lang=en, one heading, no script), with the console's navigation under its header,
 * made for a phone first (tables scroll sideways inside their own region). Every form posts with
 * the session's CSRF token.
 */

const e = escapeHtml;

/** `href` with the page's language (Arabic, the default, needs none). */
export function withLang(href: string, lang: Lang, params: Record<string, string | undefined> = {}): string {
  const url = new URL(href, 'http://console.invalid');
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') url.searchParams.set(name, value);
  if (lang === 'en') url.searchParams.set('lang', 'en');
  else url.searchParams.delete('lang');
  return `${url.pathname}${url.search}`;
}

/** The same address in the other language. */
export function switchOf(originalUrl: string, lang: Lang): string {
  return withLang(originalUrl, lang === 'ar' ? 'en' : 'ar');
}

export type Section = 'dashboard' | 'exceptions' | 'statements' | 'reports';

interface Frame {
  lang: Lang;
  title: string;
  switchHref: string;
  /** The officer's session: the navigation and the log-out button. None on the login's own pages. */
  session?: FinanceSession | undefined;
  section?: Section;
}

function page({ lang, title, switchHref, session, section }: Frame, body: string): string {
  const shell = pageShell({ lang, title, service: text(lang, 'service'), otherLanguage: text(lang, 'otherLanguage'), switchHref, stylesheet: '/finance/static/finance.css', body });
  if (!session) return shell;
  const link = (to: Section, href: string, label: MessageKey) => `<li><a href="${e(withLang(href, lang))}"${section === to ? ' aria-current="page"' : ''}>${e(text(lang, label))}</a></li>`;
  const nav = `<nav class="console" aria-label="${e(text(lang, 'navLabel'))}">
<ul>
${link('dashboard', '/finance', 'navDashboard')}
${link('exceptions', '/finance/exceptions', 'navExceptions')}
${link('statements', '/finance/statements', 'navStatements')}
${link('reports', '/finance/reports', 'navReports')}
</ul>
<div class="who"><p>${e(text(lang, 'loggedInAs'))} <bdi id="officer">${e(session.officer.name)}</bdi></p>
<form method="post" action="${e(withLang('/finance/logout', lang))}">
<input type="hidden" name="csrf" value="${e(session.csrf)}">
<button type="submit" class="secondary" id="logout">${e(text(lang, 'logout'))}</button>
</form></div>
</nav>`;
  // Under the shell's header, before <main>: a landmark of its own.
  return shell.replace('</header>\n', `</header>\n${nav}\n`);
}

// --- formatting --------------------------------------------------------------------------------

const locale = (lang: Lang) => (lang === 'ar' ? 'ar-EG' : 'en-GB');
const money = (lang: Lang, amount: number, currency: Currency | string | null) => (currency && isCurrency(currency) ? formatMoney({ amount, currency }, lang) : `${amount} ${currency ?? ''}`.trim());
const number = (lang: Lang, value: number) => new Intl.NumberFormat(locale(lang)).format(value);
/** An amount without its currency's name, in a table whose currency column says it: 150.00, ١٥٠٫٠٠. */
const figure = (lang: Lang, amount: number, currency: Currency) => {
  const decimals = CURRENCIES[currency];
  return `<span class="num">${e(new Intl.NumberFormat(locale(lang), { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(amount / 10 ** decimals))}</span>`;
};

/** A moment as a person reads it, in the ledger's time zone (Jerusalem), in a <time> element. */
function moment(lang: Lang, at: Date): string {
  const shown = new Intl.DateTimeFormat(locale(lang), { dateStyle: 'medium', timeStyle: 'short', timeZone: LEDGER_TIME_ZONE }).format(at);
  return `<time datetime="${e(at.toISOString())}">${e(shown)}</time>`;
}

/** A ledger day (YYYY-MM-DD) in words. */
export function dayName(lang: Lang, day: string): string {
  return new Intl.DateTimeFormat(locale(lang), { dateStyle: 'full', timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`));
}

/** How long ago (or, negative, how far ahead): "3 days ago", "in 5 hours". */
export function relative(lang: Lang, at: Date, now: Date): string {
  const format = new Intl.RelativeTimeFormat(locale(lang), { numeric: 'always' });
  const minutes = Math.round((at.getTime() - now.getTime()) / 60_000);
  if (minutes === 0) return new Intl.RelativeTimeFormat(locale(lang), { numeric: 'auto' }).format(0, 'minute');
  if (Math.abs(minutes) < 60) return format.format(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 48) return format.format(hours, 'hour');
  return format.format(Math.round(hours / 24), 'day');
}

/** A table in a region that scrolls sideways on a narrow screen (reachable from the keyboard), with its caption. */
function table(lang: Lang, id: string, caption: string, head: string[], rows: string[], foot: string[] = []): string {
  return `<div class="table" role="region" aria-labelledby="${id}" tabindex="0">
<table id="${id}-table">
<caption id="${id}">${caption}</caption>
<thead><tr>${head.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>${foot.length ? `\n<tfoot>\n${foot.join('\n')}\n</tfoot>` : ''}
</table>
</div>
<p class="hint scroll-hint">${e(text(lang, 'tableScroll'))}</p>`;
}

const row = (header: string, cells: string[]) => `<tr><th scope="row">${header}</th>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
const alert = (lang: Lang, key: MessageKey, id = 'error') => `<p class="error" role="alert" id="${id}">${e(text(lang, key))}</p>\n`;
const status = (lang: Lang, key: MessageKey) => `<p class="success" role="status" id="done">${e(text(lang, key))}</p>\n`;

// --- the dashboard -----------------------------------------------------------------------------

export interface DashboardInput {
  lang: Lang;
  session: FinanceSession;
  switchHref: string;
  now: Date;
  day: string;
  receipts: MinistryDay[];
  /** The ministry's name in the page's language (its payment settings' service name, or its id). */
  ministryName: (organisationId: string) => string;
  open: OpenKind[];
  disputes: DisputeDue[];
}

export function dashboardPage({ lang, session, switchHref, now, day, receipts, ministryName, open, disputes }: DashboardInput): string {
  const cells = (m: Pick<MinistryDay, 'currency' | 'paid' | 'refunds' | 'disputesLost' | 'net'>) => [e(m.currency), figure(lang, m.paid, m.currency), figure(lang, m.refunds, m.currency), figure(lang, m.disputesLost, m.currency), `<strong>${figure(lang, m.net, m.currency)}</strong>`];
  const totals = new Map<Currency, Pick<MinistryDay, 'currency' | 'paid' | 'refunds' | 'disputesLost' | 'net'>>();
  for (const m of receipts) {
    const t = totals.get(m.currency) ?? { currency: m.currency, paid: 0, refunds: 0, disputesLost: 0, net: 0 };
    totals.set(m.currency, { currency: m.currency, paid: t.paid + m.paid, refunds: t.refunds + m.refunds, disputesLost: t.disputesLost + m.disputesLost, net: t.net + m.net });
  }
  const receiptsTable = receipts.length
    ? table(
        lang,
        'receipts',
        `${e(text(lang, 'receiptsCaption'))} ${e(dayName(lang, day))}`,
        [text(lang, 'ministry'), text(lang, 'currency'), text(lang, 'paid'), text(lang, 'refunds'), text(lang, 'disputesLost'), text(lang, 'net')],
        receipts.map((m) => row(`<bdi>${e(ministryName(m.organisationId))}</bdi> <span class="code" dir="ltr">${e(m.organisationId)}</span>`, cells(m))),
        [...totals.values()].map((t) => row(`${e(text(lang, 'total'))} ${e(t.currency)}`, cells(t))),
      )
    : `<p id="no-receipts">${e(text(lang, 'noReceipts'))}</p>`;
  const openTable = open.length
    ? table(
        lang,
        'open-exceptions',
        e(text(lang, 'exceptionsCaption')),
        [text(lang, 'kind'), text(lang, 'count'), text(lang, 'awaitingCount'), text(lang, 'oldest')],
        open.map((k) => row(`<a href="${e(withLang('/finance/exceptions', lang, { kind: k.kind }))}">${e(kindName(lang, k.kind))}</a>`, [e(number(lang, k.count)), e(number(lang, k.awaitingApproval)), `${e(relative(lang, k.oldestRaisedAt, now))}<br><span class="hint">${moment(lang, k.oldestRaisedAt)}</span>`])),
      )
    : `<p id="no-open-exceptions">${e(text(lang, 'noOpenExceptions'))}</p>`;
  const disputesTable = disputes.length
    ? table(
        lang,
        'disputes-due',
        e(text(lang, 'disputesCaption')),
        [text(lang, 'evidenceDue'), text(lang, 'ministry'), text(lang, 'amount'), text(lang, 'reason'), text(lang, 'status')],
        disputes.map((d) => {
          const late = d.evidenceDueBy.getTime() <= now.getTime();
          return row(`<a href="${e(withLang(`/finance/disputes/${d.id}`, lang))}">${moment(lang, d.evidenceDueBy)}</a><br><span class="${late ? 'late' : 'hint'}">${e(late ? `${text(lang, 'overdue')} — ${relative(lang, d.evidenceDueBy, now)}` : relative(lang, d.evidenceDueBy, now))}</span>`, [
            `<bdi>${e(ministryName(d.organisationId))}</bdi>`,
            `<span class="num">${e(money(lang, d.amount, d.currency))}</span>`,
            `<span dir="ltr">${e(d.reason)}</span>`,
            e(disputeStatusName(lang, d.status)),
          ]);
        }),
      )
    : `<p id="no-disputes-due">${e(text(lang, 'noDisputesDue'))}</p>`;
  return page(
    { lang, title: text(lang, 'dashboardTitle'), switchHref, session, section: 'dashboard' },
    `<section aria-labelledby="receipts-heading">
<h2 id="receipts-heading">${e(text(lang, 'receiptsHeading'))}</h2>
<p class="hint" id="receipts-explain">${e(text(lang, 'receiptsExplain')).replace('{account}', '<code dir="ltr">ministry_revenue:&lt;organisation&gt;</code>')}</p>
${receiptsTable}
</section>
<section aria-labelledby="exceptions-heading">
<h2 id="exceptions-heading">${e(text(lang, 'exceptionsHeading'))}</h2>
${openTable}
<p><a href="${e(withLang('/finance/exceptions', lang))}">${e(text(lang, 'navExceptions'))}</a></p>
</section>
<section aria-labelledby="disputes-heading">
<h2 id="disputes-heading">${e(text(lang, 'disputesHeading'))}</h2>
${disputesTable}
</section>`,
  );
}

// --- the exception queue -----------------------------------------------------------------------

export interface QueueInput {
  lang: Lang;
  session: FinanceSession;
  switchHref: string;
  now: Date;
  kinds: string[];
  filter: { kind?: string | undefined; status: StatusFilter };
  statuses: readonly StatusFilter[];
  exceptions: ExceptionRow[];
  more: boolean;
  officerName: (sub: string) => string;
  ministryName: (organisationId: string) => string;
}

const amountOf = (lang: Lang, value: string | null, currency: string | null) => (value === null ? '—' : money(lang, Number(value), currency));

export function queuePage({ lang, session, switchHref, now, kinds, filter, statuses, exceptions, more, officerName, ministryName }: QueueInput): string {
  const option = (value: string, label: string, selected: boolean) => `<option value="${e(value)}"${selected ? ' selected' : ''}>${e(label)}</option>`;
  const form = `<form method="get" action="/finance/exceptions" class="filter">
<fieldset>
<legend>${e(text(lang, 'filterLegend'))}</legend>
${lang === 'en' ? '<input type="hidden" name="lang" value="en">\n' : ''}<label for="filter-kind">${e(text(lang, 'filterKind'))}</label>
<select id="filter-kind" name="kind">
${option('', text(lang, 'allKinds'), !filter.kind)}
${kinds.map((k) => option(k, kindName(lang, k), filter.kind === k)).join('\n')}
</select>
<label for="filter-status">${e(text(lang, 'filterStatus'))}</label>
<select id="filter-status" name="status">
${statuses.map((s) => option(s, statusName(lang, s), filter.status === s)).join('\n')}
</select>
<button type="submit">${e(text(lang, 'filterButton'))}</button>
</fieldset>
</form>`;
  const list = exceptions.length
    ? table(
        lang,
        'queue',
        e(text(lang, 'queueCaption')),
        [text(lang, 'kind'), text(lang, 'status'), text(lang, 'ministry'), text(lang, 'seen'), text(lang, 'expected'), text(lang, 'raised'), text(lang, 'assignedTo')],
        exceptions.map((x) =>
          row(`<a href="${e(withLang(`/finance/exceptions/${x.id}`, lang))}">${e(kindName(lang, x.kind))}</a>`, [
            e(statusName(lang, x.status)),
            x.organisation_id ? `<bdi>${e(ministryName(x.organisation_id))}</bdi>` : '—',
            `<span class="num">${e(amountOf(lang, x.amount, x.currency))}</span>`,
            `<span class="num">${e(amountOf(lang, x.expected_amount, x.currency))}</span>`,
            `${e(relative(lang, x.raised_at, now))}<br><span class="hint">${moment(lang, x.raised_at)}</span>`,
            x.assigned_to ? `<bdi>${e(officerName(x.assigned_to))}</bdi>` : e(text(lang, 'nobody')),
          ]),
        ),
      )
    : `<p id="no-exceptions">${e(text(lang, 'noExceptions'))}</p>`;
  return page({ lang, title: text(lang, 'queueTitle'), switchHref, session, section: 'exceptions' }, `${form}\n${list}${more ? `\n<p class="hint">${e(text(lang, 'moreExceptions'))}</p>` : ''}`);
}

/** What went wrong with the last action, for the page: the message, and the field it is about. */
export interface FormError {
  message: MessageKey;
  field?: string;
}

/** Which action just succeeded (?done=), said at the top of the page. */
export const DONE: Record<string, MessageKey> = {
  assigned: 'doneAssigned',
  commented: 'doneCommented',
  resolved: 'doneResolved',
  write_off_requested: 'doneWriteOff',
  approved: 'doneApproved',
  rejected: 'doneRejected',
};

export interface ExceptionInput {
  lang: Lang;
  session: FinanceSession;
  switchHref: string;
  now: Date;
  exception: ExceptionRow;
  history: ExceptionEvent[];
  officers: Array<{ sub: string; name: string }>;
  officerName: (sub: string) => string;
  ministryName: (organisationId: string) => string;
  /** The write-off's correcting entry: the postings, none (the kind moves no money), or unknown figures. */
  writeOff: PostingInput[] | 'nothing' | 'no_amount';
  done?: MessageKey | undefined;
  error?: FormError | undefined;
  /** What the officer typed in the form that failed, to type no more. */
  values?: Record<string, string>;
}

export function exceptionPage(input: ExceptionInput): string {
  const { lang, session, switchHref, now, exception: x, history, officers, officerName, ministryName, writeOff, done, error, values = {} } = input;
  const me = session.officer.sub;
  const who = (actor: string) => (actor === 'system' ? e(text(lang, 'system')) : `<bdi>${e(officerName(actor))}</bdi>${actor === me ? ` ${e(text(lang, 'you'))}` : ''}`);
  const action = (path: string) => e(withLang(`/finance/exceptions/${x.id}/${path}`, lang));
  const invalid = (field: string) => (error?.field === field ? ' aria-invalid="true" aria-describedby="error"' : '');
  const value = (field: string) => e(values[field] ?? '');
  const csrf = `<input type="hidden" name="csrf" value="${e(session.csrf)}">`;
  const textarea = (id: string, name: string, label: MessageKey, required: boolean) =>
    `<label for="${id}">${e(text(lang, label))}</label>\n<textarea id="${id}" name="${name}" rows="3" maxlength="2000"${required ? ' required' : ''}${invalid(id)}>${value(id)}</textarea>`;

  const summaryRow = (label: MessageKey, content: string) => `<div><dt>${e(text(lang, label))}</dt><dd>${content}</dd></div>`;
  const references = (
    [
      ['payment_id', x.payment_id],
      ['refund_id', x.refund_id],
      ['dispute_id', x.dispute_id],
      ['payout_id', x.payout_id],
      ['balance_transaction_id', x.balance_transaction_id],
      ['bank_entry_id', x.bank_entry_id],
    ] as const
  )
    .filter(([, id]) => id)
    .map(([record, id]) => `<li>${e(MATCH_RECORDS[record][lang])}: ${record === 'dispute_id' ? `<a href="${e(withLang(`/finance/disputes/${id}`, lang))}" dir="ltr">${e(id!)}</a>` : `<code dir="ltr">${e(id!)}</code>`}</li>`);
  const details = Object.entries(x.details ?? {}).map(([key, detail]) => `<div><dt><code dir="ltr">${e(key)}</code></dt><dd><code dir="ltr">${e(typeof detail === 'string' ? detail : JSON.stringify(detail))}</code></dd></div>`);
  const summary = `<dl class="summary" id="summary">
${summaryRow('kind', `<span id="kind">${e(kindName(lang, x.kind))}</span> <span class="code" dir="ltr">${e(x.kind)}</span>`)}
${summaryRow('status', `<strong id="status">${e(statusName(lang, x.status))}</strong>`)}
${summaryRow('ministry', x.organisation_id ? `<bdi>${e(ministryName(x.organisation_id))}</bdi>` : '—')}
${summaryRow('seen', e(amountOf(lang, x.amount, x.currency)))}
${summaryRow('expected', e(amountOf(lang, x.expected_amount, x.currency)))}
${summaryRow('raised', `${moment(lang, x.raised_at)} (${e(relative(lang, x.raised_at, now))})`)}
${summaryRow('assignedTo', x.assigned_to ? `<bdi id="assigned-to">${e(officerName(x.assigned_to))}</bdi>` : e(text(lang, 'nobody')))}
</dl>${references.length ? `\n<h2>${e(text(lang, 'references'))}</h2>\n<ul id="references">\n${references.join('\n')}\n</ul>` : ''}${details.length ? `\n<h2>${e(text(lang, 'details'))}</h2>\n<dl class="details">\n${details.join('\n')}\n</dl>` : ''}`;

  const historyTable = table(
    lang,
    'history',
    e(text(lang, 'historyCaption')),
    [text(lang, 'when'), text(lang, 'who'), text(lang, 'what'), text(lang, 'why')],
    history.map((h) => {
      const assignee = h.action === 'assigned' && typeof h.data.assignee === 'string' ? ` → <bdi>${e(officerName(h.data.assignee))}</bdi>` : '';
      const resolution = h.action === 'resolved' && typeof h.data.resolution === 'string' ? ` (<span dir="ltr">${e(h.data.resolution)}</span>)` : '';
      return row(moment(lang, h.at), [who(h.actor), `${e(actionName(lang, h.action))}${assignee}${resolution}`, h.reason ? e(h.reason) : '—']);
    }),
  );

  const forms: string[] = [];
  const resolved = x.status === 'resolved';
  const awaiting = x.status === 'awaiting_approval';
  if (!resolved) {
    forms.push(`<section aria-labelledby="assign-heading">
<h3 id="assign-heading">${e(text(lang, 'assignHeading'))}</h3>
<form method="post" action="${action('assign')}" id="assign-form">
${csrf}
<label for="assign-assignee">${e(text(lang, 'assignee'))}</label>
<select id="assign-assignee" name="assignee" required${invalid('assign-assignee')}>
${officers.map((o) => `<option value="${e(o.sub)}"${(x.assigned_to ?? me) === o.sub ? ' selected' : ''}>${e(o.name)}${o.sub === me ? ` ${e(text(lang, 'you'))}` : ''}</option>`).join('\n')}
</select>
${textarea('assign-reason', 'reason', 'optionalReason', false)}
<button type="submit">${e(text(lang, 'assignButton'))}</button>
</form>
</section>`);
  }
  if (awaiting) {
    const requested = history.findLast((h) => h.action === 'write_off_requested');
    const own = requested?.actor === me;
    forms.push(`<section aria-labelledby="approval-heading" id="approval">
<h3 id="approval-heading">${e(text(lang, 'approvalHeading'))}</h3>
${requested ? `<p>${e(text(lang, 'requestedBy'))}: ${who(requested.actor)}${requested.reason ? ` — ${e(requested.reason)}` : ''}</p>` : ''}
${postingsTable(lang, writeOff)}
${own ? `<p class="notice" id="own-request">${e(text(lang, 'ownRequest'))}</p>` : `<form method="post" action="${action('approve')}" id="approve-form">
${csrf}
${textarea('approve-reason', 'reason', 'optionalReason', false)}
<button type="submit">${e(text(lang, 'approveButton'))}</button>
</form>`}
<form method="post" action="${action('reject')}" id="reject-form">
${csrf}
${textarea('reject-reason', 'reason', 'rejectReason', true)}
<button type="submit" class="warning">${e(text(lang, 'rejectButton'))}</button>
</form>
</section>`);
  }
  if (!resolved && !awaiting) {
    forms.push(`<section aria-labelledby="match-heading">
<h3 id="match-heading">${e(text(lang, 'matchHeading'))}</h3>
<p class="hint">${e(text(lang, 'matchIntro'))}</p>
<form method="post" action="${action('resolve')}" id="match-form">
${csrf}
<input type="hidden" name="resolution" value="manual_match">
<label for="match-record">${e(text(lang, 'matchRecord'))}</label>
<select id="match-record" name="record" required${invalid('match-record')}>
${Object.entries(MATCH_RECORDS).map(([record, names]) => `<option value="${record}"${values['match-record'] === record ? ' selected' : ''}>${e(names[lang])}</option>`).join('\n')}
</select>
<label for="match-id">${e(text(lang, 'matchId'))}</label>
<input id="match-id" name="record_id" type="text" dir="ltr" spellcheck="false" autocomplete="off" maxlength="255" required value="${value('match-id')}"${invalid('match-id')}>
${textarea('match-reason', 'reason', 'requiredReason', true)}
<button type="submit">${e(text(lang, 'matchButton'))}</button>
</form>
</section>`);
    forms.push(`<section aria-labelledby="write-off-heading">
<h3 id="write-off-heading">${e(text(lang, 'writeOffHeading'))}</h3>
<p class="hint">${e(text(lang, 'writeOffIntro'))}</p>
${
  writeOff === 'no_amount'
    ? `<p class="notice" id="no-amount">${e(text(lang, 'errorNoAmount'))}</p>`
    : `${postingsTable(lang, writeOff)}
<form method="post" action="${action('resolve')}" id="write-off-form">
${csrf}
<input type="hidden" name="resolution" value="write_off">
${textarea('write-off-reason', 'reason', 'requiredReason', true)}
<button type="submit" class="warning">${e(text(lang, 'writeOffButton'))}</button>
</form>`
}
</section>`);
  }
  forms.push(`<section aria-labelledby="comment-heading">
<h3 id="comment-heading">${e(text(lang, 'commentHeading'))}</h3>
<form method="post" action="${action('comments')}" id="comment-form">
${csrf}
${textarea('comment-text', 'text', 'comment', true)}
<button type="submit" class="secondary">${e(text(lang, 'commentButton'))}</button>
</form>
</section>`);

  return page(
    { lang, title: text(lang, 'exceptionTitle'), switchHref, session, section: 'exceptions' },
    `${error ? alert(lang, error.message) : ''}${done ? status(lang, done) : ''}${summary}
<h2 id="history-heading">${e(text(lang, 'historyHeading'))}</h2>
${historyTable}
<h2>${e(text(lang, 'actionsHeading'))}</h2>
${resolved ? `<p class="notice" id="resolved-note">${e(text(lang, 'resolvedNote'))}</p>\n` : ''}${forms.join('\n')}`,
  );
}

/** The correcting entry a write-off posts, as a small table of debits and credits. */
function postingsTable(lang: Lang, writeOff: ExceptionInput['writeOff']): string {
  if (writeOff === 'no_amount') return `<p class="notice">${e(text(lang, 'errorNoAmount'))}</p>`;
  if (writeOff === 'nothing') return `<p class="hint">${e(text(lang, 'writeOffNothing'))}</p>`;
  return `<p>${e(text(lang, 'writeOffPosts'))}</p>
<div class="table" role="region" aria-labelledby="entry-caption" tabindex="0">
<table id="entry-table"><caption id="entry-caption" class="visually-hidden">${e(text(lang, 'writeOffPosts'))}</caption>
<thead><tr><th scope="col">${e(text(lang, 'account'))}</th><th scope="col">${e(text(lang, 'debit'))}</th><th scope="col">${e(text(lang, 'credit'))}</th></tr></thead>
<tbody>
${writeOff.map((p) => `<tr><th scope="row"><span dir="ltr" class="code">${e(p.account.code)}</span></th><td>${p.amount > 0 ? `<span class="num">${e(money(lang, p.amount, p.currency))}</span>` : ''}</td><td>${p.amount < 0 ? `<span class="num">${e(money(lang, -p.amount, p.currency))}</span>` : ''}</td></tr>`).join('\n')}
</tbody>
</table>
</div>`;
}

// --- a dispute ---------------------------------------------------------------------------------

export function disputePage({ lang, session, switchHref, now, found, ministryName }: { lang: Lang; session: FinanceSession; switchHref: string; now: Date; found: DisputeWithHistory; ministryName: (organisationId: string) => string }): string {
  const { dispute: d, history } = found;
  const item = (label: MessageKey, content: string) => `<div><dt>${e(text(lang, label))}</dt><dd>${content}</dd></div>`;
  return page(
    { lang, title: text(lang, 'disputeTitle'), switchHref, session, section: 'dashboard' },
    `<dl class="summary" id="summary">
${item('ministry', `<bdi>${e(ministryName(d.organisationId))}</bdi>`)}
${item('amount', `<strong>${e(money(lang, d.amount, d.currency))}</strong>`)}
${item('reason', `<span dir="ltr">${e(d.reason)}</span>`)}
${item('status', e(disputeStatusName(lang, d.status)))}
${item('evidenceDue', d.evidenceDueBy ? `${moment(lang, d.evidenceDueBy)} (${e(relative(lang, d.evidenceDueBy, now))})` : '—')}
${item('opened', moment(lang, d.createdAt))}
${item('payment', `<code dir="ltr">${e(d.paymentId)}</code>`)}
${item('paymentReference', d.paymentReference ? `<code dir="ltr">${e(d.paymentReference)}</code>` : '—')}
${item('pspDispute', `<code dir="ltr">${e(d.pspDisputeId)}</code>`)}
</dl>
<p class="hint">${e(text(lang, 'disputeEvidenceNote'))}</p>
${table(
  lang,
  'dispute-history',
  e(text(lang, 'disputeHistoryCaption')),
  [text(lang, 'when'), text(lang, 'from'), text(lang, 'to')],
  history.map((h) => row(moment(lang, h.at), [h.fromStatus ? e(disputeStatusName(lang, h.fromStatus)) : '—', e(disputeStatusName(lang, h.toStatus))])),
)}`,
  );
}

// --- placeholders and reports ------------------------------------------------------------------

/** A part of the console that others are building: what it will do, and no data. */
export function comingPage({ lang, session, switchHref, section }: { lang: Lang; session: FinanceSession; switchHref: string; section: 'statements' | 'reports' }): string {
  const [title, body] = section === 'statements' ? (['statementsTitle', 'statementsComing'] as const) : (['reportsTitle', 'reportsComing'] as const);
  return page({ lang, title: text(lang, title), switchHref, session, section }, `<p class="notice" id="coming">${e(text(lang, body))}</p>`);
}

/** What the statements page says about the file just uploaded (statement-upload.ts), if one was. */
export type UploadShown = StatementUpload | { outcome: 'csrf' } | { outcome: 'not_form' };

/** A size in bytes as a person reads it: 2 GB, 500 MB. */
function size(lang: Lang, bytes: number): string {
  const [value, unit] = bytes >= 1024 ** 3 ? [bytes / 1024 ** 3, 'gigabyte'] : bytes >= 1024 ** 2 ? [bytes / 1024 ** 2, 'megabyte'] : [bytes / 1024, 'kilobyte'];
  return new Intl.NumberFormat(locale(lang), { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}

/** A statement's period: its first and last day. */
const period = (lang: Lang, s: BankStatement) => [...new Set([s.fromDate ?? s.openingDate, s.toDate ?? s.closingDate])].filter((d): d is string => !!d).map((d) => `<time datetime="${e(d)}">${e(new Intl.DateTimeFormat(locale(lang), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${d}T12:00:00Z`)))}</time>`).join(' – ');
const account = (s: BankStatement) => `<span dir="ltr" class="code">${e(s.account)}</span><br><bdi>${e(s.accountName)}</bdi>`;

/** What came of an upload: in words, with the statements the file held and what their credits matched. */
function uploadOutcome(lang: Lang, shown: UploadShown, maxBytes: number): string {
  switch (shown.outcome) {
    case 'accepted': {
      const added = shown.statements.some((s) => s.outcome === 'imported');
      const raised = shown.exceptions.unmatched_bank_credit + shown.exceptions.unmatched_payout;
      const item = (label: MessageKey, value: number) => `<div><dt>${e(text(lang, label))}</dt><dd><strong class="num">${e(number(lang, value))}</strong></dd></div>`;
      return `${status(lang, added ? 'uploadImported' : 'uploadAlreadyImported')}${table(
        lang,
        'uploaded',
        e(text(lang, 'uploadFileCaption')),
        [text(lang, 'statementAccount'), text(lang, 'currency'), text(lang, 'statementPeriod'), text(lang, 'statementEntries'), text(lang, 'closingBalance'), text(lang, 'statementOutcome')],
        shown.statements.map(({ outcome, statement: s }) =>
          row(account(s), [e(s.currency), period(lang, s), `<span class="num">${e(number(lang, s.entryCount))}</span>`, `<span class="num">${e(money(lang, s.closingBalance ?? 0, s.currency))}</span>`, e(text(lang, outcome === 'imported' ? 'outcomeImported' : 'outcomeAlreadyImported'))]),
        ),
      )}
${added ? `<dl class="summary" id="matching">
${item('uploadMatched', shown.matched)}
${item('uploadUnmatchedCredits', shown.exceptions.unmatched_bank_credit)}
${item('uploadUnmatchedPayouts', shown.exceptions.unmatched_payout)}
</dl>
${raised > 0 ? `<p><a href="${e(withLang('/finance/exceptions', lang))}" id="see-queue">${e(text(lang, 'uploadSeeQueue'))}</a></p>\n` : ''}` : ''}`;
    }
    case 'rejected': {
      const where = [
        shown.statement !== undefined ? `${e(text(lang, 'uploadStatementNumber'))} ${e(number(lang, shown.statement))}` : '',
        shown.at ? `${e(text(lang, 'uploadWhere'))} ${e(number(lang, shown.at.line))}${shown.at.path || shown.at.field ? ` <code dir="ltr">${e(shown.at.path ?? shown.at.field ?? '')}</code>` : ''}` : '',
      ].filter(Boolean);
      return `<div class="error" role="alert" id="error"><p>${e(text(lang, 'uploadRejected'))}</p>
${where.length ? `<p id="error-where">${where.join(' — ')}</p>\n` : ''}<p lang="en" dir="ltr" id="error-reason">${e(shown.reason)}</p></div>\n`;
    }
    case 'conflict':
      return `<div class="error" role="alert" id="error"><p>${e(text(lang, 'uploadConflict'))}</p><p lang="en" dir="ltr" id="error-reason">${e(shown.reason)}</p></div>\n`;
    case 'too_large':
      return `<p class="error" role="alert" id="error">${e(text(lang, 'uploadTooLarge'))} ${e(size(lang, maxBytes))}</p>\n`;
    case 'empty':
      return alert(lang, 'uploadEmpty');
    case 'csrf':
      return alert(lang, 'errorCsrf');
    case 'not_form':
      return alert(lang, 'uploadNotForm');
  }
}

export interface StatementsInput {
  lang: Lang;
  session: FinanceSession;
  switchHref: string;
  maxBytes: number;
  recent: BankStatement[];
  officerName: (sub: string) => string;
  /** The file just uploaded: what came of it. */
  shown?: UploadShown;
}

/** Statement upload: what is checked, the form (the CSRF field before the file, so it is read first), what came of the last file, and the statements uploaded last. */
export function statementsPage({ lang, session, switchHref, maxBytes, recent, officerName, shown }: StatementsInput): string {
  const failed = shown !== undefined && shown.outcome !== 'accepted';
  const form = `<form method="post" action="${e(withLang('/finance/statements', lang))}" enctype="multipart/form-data" id="upload-form">
<input type="hidden" name="csrf" value="${e(session.csrf)}">
<label for="statement-file">${e(text(lang, 'statementFile'))}</label>
<p class="hint" id="statement-file-hint">${e(text(lang, 'statementFileHint'))} ${e(size(lang, maxBytes))}</p>
<input id="statement-file" name="statement" type="file" accept=".xml,.053,.txt,.sta,.mt940,.940,application/xml,text/xml,text/plain" required aria-describedby="statement-file-hint${failed ? ' error' : ''}"${failed ? ' aria-invalid="true"' : ''}>
<button type="submit">${e(text(lang, 'statementUpload'))}</button>
</form>`;
  const recentTable = recent.length
    ? table(
        lang,
        'statements',
        e(text(lang, 'recentStatementsCaption')),
        [text(lang, 'statementAccount'), text(lang, 'currency'), text(lang, 'statementPeriod'), text(lang, 'statementEntries'), text(lang, 'statementCredits'), text(lang, 'closingBalance'), text(lang, 'importedBy'), text(lang, 'importedAt')],
        recent.map((s) =>
          row(`<a href="${e(withLang(`/finance/statements/${s.id}`, lang))}">${account(s)}</a>`, [
            e(s.currency),
            period(lang, s),
            `<span class="num">${e(number(lang, s.entryCount))}</span>`,
            `<span class="num">${e(money(lang, s.creditTotal, s.currency))}</span>`,
            `<span class="num">${e(money(lang, s.closingBalance ?? 0, s.currency))}</span>`,
            `<bdi>${e(officerName(s.importedBy))}</bdi>`,
            moment(lang, s.importedAt),
          ]),
        ),
      )
    : `<p id="no-statements">${e(text(lang, 'noStatements'))}</p>`;
  return page(
    { lang, title: text(lang, 'statementsTitle'), switchHref, session, section: 'statements' },
    `${shown ? uploadOutcome(lang, shown, maxBytes) : ''}<p>${e(text(lang, 'statementsIntro'))}</p>
${form}
${recentTable}`,
  );
}

/** One statement: what it says of itself, and its first entries, each with what it matched. */
export function statementPage({ lang, session, switchHref, shown, officerName }: { lang: Lang; session: FinanceSession; switchHref: string; shown: StatementShown; officerName: (sub: string) => string }): string {
  const { statement: s, entries, payoutsOf } = shown;
  const item = (label: MessageKey, content: string) => `<div><dt>${e(text(lang, label))}</dt><dd>${content}</dd></div>`;
  const amount = (value: number) => `<span class="num">${e(money(lang, value, s.currency))}</span>`;
  return page(
    { lang, title: text(lang, 'statementTitle'), switchHref, session, section: 'statements' },
    `<dl class="summary" id="summary">
${item('statementAccount', account(s))}
${item('currency', e(s.currency))}
${item('statementPeriod', period(lang, s))}
${item('statementNumber', `<code dir="ltr">${e(s.statementId)}${s.sequence ? ` / ${e(s.sequence)}` : ''}</code>`)}
${item('statementFormat', `<span dir="ltr">${e(s.format)}${s.formatVersion ? ` ${e(s.formatVersion)}` : ''}</span>`)}
${item('openingBalance', amount(s.openingBalance))}
${item('statementCredits', `${amount(s.creditTotal)} (${e(number(lang, s.creditCount))})`)}
${item('statementDebits', `${amount(s.debitTotal)} (${e(number(lang, s.debitCount))})`)}
${item('closingBalance', amount(s.closingBalance ?? 0))}
${item('importedBy', `<bdi>${e(officerName(s.importedBy))}</bdi>`)}
${item('importedAt', moment(lang, s.importedAt))}
</dl>
${table(
  lang,
  'entries',
  e(text(lang, 'entriesCaption')),
  [text(lang, 'entryLine'), text(lang, 'valueDate'), text(lang, 'entryDirection'), text(lang, 'amount'), text(lang, 'entryReference'), text(lang, 'entryMatch')],
  entries.map((entry) => {
    const payouts = payoutsOf.get(entry.id);
    const reference = [entry.endToEndId, entry.accountServicerRef, entry.remittanceInfo].filter((v): v is string => !!v && v !== 'NONREF');
    return row(e(number(lang, entry.line)), [
      entry.valueDate ? `<time datetime="${e(entry.valueDate)}">${e(new Intl.DateTimeFormat(locale(lang), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${entry.valueDate}T12:00:00Z`)))}</time>` : '—',
      e(text(lang, entry.direction === 'credit' ? 'credit_entry' : 'debit_entry')),
      amount(entry.amount),
      reference.length ? `<span dir="ltr">${reference.map(e).join('<br>')}</span>` : '—',
      payouts ? `${e(text(lang, 'matchedPayouts'))} <code dir="ltr">${payouts.map(e).join(', ')}</code>` : entry.direction === 'credit' ? e(text(lang, 'notMatched')) : '—',
    ]);
  }),
)}
${s.entryCount > entries.length ? `<p class="hint" id="entries-first">${e(text(lang, 'entriesFirst'))}</p>` : ''}`,
  );
}

/** The reports of a day, each a download link per format (with a ReportCatalogue: finance-seams.ts). */
export function reportsPage({ lang, session, switchHref, day, reports }: { lang: Lang; session: FinanceSession; switchHref: string; day: string; reports: Array<{ id: string; name: { ar: string; en: string }; formats: string[] }> }): string {
  return page(
    { lang, title: text(lang, 'reportsTitle'), switchHref, session, section: 'reports' },
    `<form method="get" action="/finance/reports" class="filter">
${lang === 'en' ? '<input type="hidden" name="lang" value="en">\n' : ''}<label for="report-day">${e(text(lang, 'reportDay'))}</label>
<input id="report-day" name="date" type="date" value="${e(day)}" required>
<button type="submit">${e(text(lang, 'reportShow'))}</button>
</form>
${table(
  lang,
  'reports',
  `${e(text(lang, 'reportsCaption'))} ${e(dayName(lang, day))}`,
  [text(lang, 'report'), text(lang, 'download')],
  reports.map((r) => row(e(r.name[lang]), [r.formats.map((f) => `<a href="${e(withLang(`/finance/reports/${r.id}`, lang, { date: day, format: f }))}" download>${e(f.toUpperCase())}</a>`).join(' · ')])),
)}`,
  );
}

// --- messages ----------------------------------------------------------------------------------

/** A page that only says something (a login that did not work, the console not for this account, logged out...), with a way on. */
export function messagePage({ lang, switchHref, title, message, link, session, tone = 'error' }: { lang: Lang; switchHref: string; title: MessageKey; message: MessageKey; link?: { href: string; label: MessageKey }; session?: FinanceSession | undefined; tone?: 'error' | 'notice' }): string {
  return page(
    { lang, title: text(lang, title), switchHref, session },
    `<p class="${tone}"${tone === 'error' ? ' role="alert"' : ' role="status"'} id="message">${e(text(lang, message))}</p>${link ? `\n<p><a class="button" id="next" href="${e(link.href)}">${e(text(lang, link.label))}</a></p>` : ''}`,
  );
}

/** The one stylesheet (the Content-Security-Policy allows nothing else): the pay page's look, wider for tables. */
export const FINANCE_STYLESHEET = `*{box-sizing:border-box}
body{margin:0;font:1rem/1.5 system-ui,"Noto Naskh Arabic","Segoe UI",Tahoma,sans-serif;color:#0b0c0c;background:#fff}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.75rem 1rem;background:#0b3d2e;color:#fff}
header a{color:#fff}
.service{margin:0;font-weight:700}
nav.console{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem 1rem;padding:.5rem 1rem;background:#f3f2f1;border-bottom:1px solid #b1b4b6}
nav.console ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:0;list-style:none}
nav.console a{color:#1d70b8;font-weight:700}
nav.console a[aria-current=page]{color:#0b0c0c;text-decoration:none;border-bottom:3px solid #0b3d2e}
.who{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}
.who p{margin:0}
.who button{margin:0}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.75rem;margin-top:.5rem}
h2{font-size:1.35rem;margin-top:2rem}
h3{font-size:1.15rem;margin-top:1.5rem}
a{color:#1d70b8}
.table{max-width:100%;overflow-x:auto;margin:.5rem 0}
table{border-collapse:collapse;min-width:100%}
caption{text-align:start;font-weight:700;padding:.25rem 0}
th,td{text-align:start;vertical-align:top;padding:.4rem .6rem;border-bottom:1px solid #b1b4b6}
thead th{border-bottom:2px solid #0b0c0c}
tbody th{min-width:7.5rem}
tfoot th,tfoot td{border-top:2px solid #0b0c0c;font-weight:700}
.scroll-hint{font-size:.875rem}
@media (min-width:48rem){.scroll-hint{display:none}}
.summary,.details{margin:0 0 1rem;padding:.75rem 1rem;border:1px solid #b1b4b6}
.summary div,.details div{display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:.25rem 0}
.summary dt,.details dt{min-width:9rem;color:#505a5f}
.summary dd,.details dd{margin:0;overflow-wrap:anywhere}
code,.code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
.code{color:#505a5f}
fieldset{border:1px solid #b1b4b6;padding:.5rem 1rem 1rem}
legend{font-weight:700}
label{display:block;font-weight:700;margin-top:1rem}
.hint{margin:.25rem 0;color:#505a5f}
input,select,textarea{display:block;width:100%;max-width:36rem;padding:.5rem;font:inherit;border:2px solid #0b0c0c;border-radius:0;background:#fff}
[aria-invalid=true]{border-color:#d4351c}
a:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,button:focus-visible,.table:focus-visible{outline:3px solid #fd0;outline-offset:0;box-shadow:0 0 0 5px #0b0c0c}
button,.button{display:inline-block;margin-top:1rem;padding:.6rem 1.2rem;font:inherit;font-weight:700;color:#fff;background:#00703c;border:0;box-shadow:0 2px 0 #002d18;cursor:pointer;text-decoration:none}
button.secondary{color:#0b0c0c;background:#f3f2f1;box-shadow:0 2px 0 #929191}
button.warning{background:#d4351c;box-shadow:0 2px 0 #55150b}
.error{padding:.75rem;border-inline-start:5px solid #d4351c;color:#d4351c;font-weight:700}
.success{padding:.75rem;border-inline-start:5px solid #00703c;color:#00703c;font-weight:700}
.notice{padding:.75rem;border-inline-start:5px solid #1d70b8;background:#f3f2f1}
.late{color:#d4351c;font-weight:700}
time,.num{white-space:nowrap}
.num{font-variant-numeric:tabular-nums}
.visually-hidden{position:absolute!important;width:1px;height:1px;margin:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
section{margin-bottom:1.5rem}`;
