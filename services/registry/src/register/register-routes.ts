import { createHash, randomUUID } from 'node:crypto';
import type { TokenBucket } from '@tamkeen/db';
import { NotFound, requestLogFields, resource, TooManyRequests, validate, ValidationFailed } from '@tamkeen/http-kit';
import type { IRouter, Request, Response } from 'express';
import { z } from 'zod';
import { comparableName } from '../domain/arabic-name.js';
import { parseNationalId } from '@tamkeen/citizen-input';
import type { MemberAuthenticator, RegisterService } from '../x-road/member-authentication.js';
import { VERIFIABLE_FACTS, type CitizenRow, type VerifiableFact } from './citizen.js';
import type { RegisterRepository } from './register-repository.js';

export const BASE = '/r1/PS/GOV/MOI/registry';

const isoDate = z.iso.date({ message: 'must be a date (YYYY-MM-DD)' });
const name = z.string().trim().min(1, { message: 'must not be empty' }).max(100);

const verifyRequest = z
  .object({
    national_id: z.unknown(),
    date_of_birth: isoDate.optional(),
    first_name_ar: name.optional(),
    father_name_ar: name.optional(),
    grandfather_name_ar: name.optional(),
    family_name_ar: name.optional(),
    first_name_en: name.optional(),
    family_name_en: name.optional(),
    mother_first_name_ar: name.optional(),
    place_of_birth: name.optional(),
    card_issue_date: isoDate.optional(),
    sex: z.enum(['male', 'female'], { message: 'must be male or female' }).optional(),
  })
  .strict();

/** How each fact is compared: names as a clerk reads them, dates and sex exactly. */
function sameFact(fact: VerifiableFact, given: string, stored: string): boolean {
  return fact === 'date_of_birth' || fact === 'card_issue_date' || fact === 'sex' ? given === stored : comparableName(given) === comparableName(stored);
}

function nationalIdOf(value: unknown, field = 'national_id'): string {
  const parsed = parseNationalId(value);
  if (!parsed.ok) throw new ValidationFailed([{ name: field, reason: parsed.reason }]);
  return parsed.nationalId;
}

/** The minimal profile the register gives out: who the person is and whether they may act. */
function profileOf(c: CitizenRow) {
  return {
    national_id: c.national_id,
    name: {
      ar: [c.first_name_ar, c.father_name_ar, c.grandfather_name_ar, c.family_name_ar].join(' '),
      en: [c.first_name_en, c.father_name_en, c.grandfather_name_en, c.family_name_en].join(' '),
    },
    date_of_birth: c.date_of_birth,
    sex: c.sex,
    status: c.status,
    card_status: c.card_status,
  };
}

export interface RegisterRoutesDeps {
  register: RegisterRepository;
  authenticate: MemberAuthenticator;
  lookups: TokenBucket;
  lookupsPerMinute: number;
  /** The raw body of a request, as received (for X-Road-Request-Hash). */
  rawBodyOf: (req: Request) => Buffer | undefined;
}

export function registerRoutes(router: IRouter, { register, authenticate, lookups, lookupsPerMinute, rawBodyOf }: RegisterRoutesDeps): void {
  /**
   * X-Road's envelope around every answer, errors included: the request's X-Road-Id (the caller's,
   * or a new one), and X-Road-Request-Hash, the base64 SHA-512 of the request as received (method,
   * path and query, and body), so that the caller can prove which request this answers.
   */
  router.use(BASE, (req, res, next) => {
    const given = req.get('X-Road-Id');
    const xRoadId = given && /^[\x21-\x7e]{1,128}$/.test(given) ? given : randomUUID();
    res.locals.xRoadId = xRoadId;
    res.setHeader('X-Road-Id', xRoadId);
    const hash = createHash('sha512').update(`${req.method} ${req.originalUrl}\n`);
    const raw = rawBodyOf(req);
    if (raw) hash.update(raw);
    res.setHeader('X-Road-Request-Hash', hash.digest('base64'));
    // Who asked what, and the answer, on the request's one log line: never the ID number or the facts asked about.
    Object.assign(requestLogFields(res), { xRoadId, client: req.get('X-Road-Client') });
    next();
  });

  async function admit(req: Request, res: Response, service: RegisterService) {
    requestLogFields(res).registerService = service;
    const member = await authenticate(req.get('X-Road-Client'), req.get('Authorization'), service);
    const turn = await lookups.take(member.client, member.lookups_per_minute ?? lookupsPerMinute);
    if (!turn.allowed) {
      const seconds = Math.max(1, Math.ceil(turn.retryAfterMs / 1000));
      throw new TooManyRequests(`${member.client} has made its allowed lookups for now; try again in ${seconds} s.`, { code: 'rate_limited', headers: { 'Retry-After': String(seconds) } });
    }
    return member;
  }

  resource(router, `${BASE}/verify`, {
    post: async (req, res) => {
      await admit(req, res, 'verify');
      const input = validate(verifyRequest, req.body ?? {});
      const nationalId = nationalIdOf(input.national_id);
      const facts = VERIFIABLE_FACTS.filter((fact) => input[fact] !== undefined);
      if (facts.length === 0) throw new ValidationFailed([{ name: 'date_of_birth', reason: `at least one fact besides national_id is required (${VERIFIABLE_FACTS.join(', ')})` }]);
      const citizen = await register.find(nationalId);
      const match = citizen !== undefined && facts.every((fact) => sameFact(fact, input[fact]!, citizen[fact]));
      requestLogFields(res).outcome = match ? 'match' : 'no match';
      res.json({ match });
    },
  });

  resource(router, `${BASE}/citizens/:nationalId`, {
    get: async (req, res) => {
      await admit(req, res, 'citizens');
      const citizen = await register.find(nationalIdOf(req.params.nationalId, 'nationalId'));
      requestLogFields(res).outcome = citizen ? 'found' : 'not found';
      if (!citizen) throw new NotFound('The register holds no citizen with this ID number.', { code: 'citizen_not_found' });
      res.json(profileOf(citizen));
    },
  });
}
