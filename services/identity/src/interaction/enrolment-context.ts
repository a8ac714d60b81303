import type { Redis } from '@tamkeen/db';
import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import { csrfTokens, openInteraction, refuse } from './page-kit.js';
import type { Lang, MessageKey } from './pages.js';

/** An enrolment in progress, in Redis for half an hour, by interaction. */
export interface Enrolment {
  nationalId: string;
  nameAr: string;
  nameEn: string;
  birthdate: string;
  phone?: string;
  phoneConfirmed?: boolean;
  /** Every number a code was asked for in this enrolment (a few, to mend a typo; not a way to guess). */
  phonesTried?: string[];
  /** Once the account exists: the e-mail address the last code went to, and every one asked for (a few). */
  email?: string;
  emailsTried?: string[];
}

export const ENROLMENT_BASE = '/auth/citizen/interaction';

/** The page that ends an enrolment, offering an e-mail address and an authenticator app. */
export const enrolmentExtrasHref = (uid: string, lang: Lang) => `${ENROLMENT_BASE}/${uid}/enrol/extras?lang=${lang}`;

/**
 * What every enrolment page starts with: the interaction (its cookie checked), the language, the
 * CSRF check of a form, and the enrolment so far.
 */
export function enrolmentPages({ provider, redis, redisPrefix, secret }: { provider: Provider; redis: Redis; redisPrefix: string; secret: string }) {
  const csrf = csrfTokens(secret);
  const stateKey = (uid: string) => `${redisPrefix}:enrolment:${uid}`;

  /** Undefined when the page was answered already (an expired interaction, a forged form). */
  async function context(req: Request, res: Response) {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return undefined;
    const { details, lang } = opened;
    const uid = details.uid;
    const href = (step: string, l: Lang = lang) => `${ENROLMENT_BASE}/${uid}/${step}?lang=${l}`;
    const saved = await redis.get(stateKey(uid));
    const fail = (status: number, message: MessageKey) => refuse(res, status, `${ENROLMENT_BASE}/${uid}/enrol`, lang, message);
    if (req.method === 'POST' && !csrf.matches(uid, (req.body as Record<string, string> | undefined)?.csrf)) {
      fail(403, 'csrf');
      return undefined;
    }
    return {
      details,
      lang,
      uid,
      href,
      /** The same step in the other language. */
      switchHref: (step: string) => href(step, lang === 'ar' ? 'en' : 'ar'),
      fail,
      enrolment: saved ? (JSON.parse(saved) as Enrolment) : undefined,
      save: (e: Enrolment) => redis.set(stateKey(uid), JSON.stringify(e), 'EX', 1800),
      clear: () => redis.del(stateKey(uid)),
    };
  }

  return { csrf, context };
}

export type EnrolmentPage = NonNullable<Awaited<ReturnType<ReturnType<typeof enrolmentPages>['context']>>>;
