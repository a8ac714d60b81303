import { createHash, randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';

/** What the register says about a citizen (its minimal profile). */
export interface RegisterProfile {
  national_id: string;
  name: { ar: string; en: string };
  date_of_birth: string;
  sex: 'male' | 'female';
  status: 'alive' | 'deceased';
  card_status: 'valid' | 'revoked';
}

export type RegisterFacts = Partial<Record<'date_of_birth' | 'mother_first_name_ar' | 'place_of_birth' | 'card_issue_date' | 'first_name_ar' | 'family_name_ar', string>>;

/** The register could not be asked (down, slow, or refusing us): not an answer about the citizen. */
export class RegisterUnavailable extends Error {}

export interface RegistryClientOptions {
  /** The register's base URL (…/r1/PS/GOV/MOI/registry is added). */
  baseUrl: string;
  /** Our X-Road client identifier, e.g. PS/GOV/MOPAD/identity. */
  client: string;
  /** The register's X-Road service identifier: the audience of our assertions. */
  service?: string;
  /** Our private signing key (its public half is published at /internal/x-road/jwks). */
  key: JWK;
  timeoutMs?: number;
}

/**
 * Identity's side of the X-Road exchange with the citizen register: every request names us in
 * X-Road-Client and proves it with a fresh client assertion (RFC 7523) signed with our key; the
 * answer's X-Road-Request-Hash is checked against what we sent.
 */
export function registryClient({ baseUrl, client, service = 'PS/GOV/MOI/registry', key, timeoutMs = 3_000 }: RegistryClientOptions) {
  const base = `${baseUrl.replace(/\/$/, '')}/r1/PS/GOV/MOI/registry`;
  const signingKey = importJWK(key, key.alg);

  async function call(method: 'GET' | 'POST', path: string, body?: object): Promise<Response> {
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: key.alg!, kid: key.kid })
      .setIssuer(client)
      .setSubject(client)
      .setAudience(service)
      .setIssuedAt()
      .setExpirationTime('60s')
      .setJti(randomUUID())
      .sign(await signingKey);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { 'X-Road-Client': client, 'X-Road-Id': randomUUID(), Authorization: `Bearer ${assertion}`, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
        body: payload,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new RegisterUnavailable(`the register did not answer: ${(error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String((error as { cause?: { code?: string } }).cause?.code ?? error)}`);
    }
    const expected = createHash('sha512').update(`${method} ${new URL(`${base}${path}`).pathname}\n${payload ?? ''}`).digest('base64');
    if (response.headers.get('X-Road-Request-Hash') !== expected) throw new RegisterUnavailable('the register answered another request (X-Road-Request-Hash differs)');
    if (response.status >= 500 || response.status === 401 || response.status === 403 || response.status === 429) {
      throw new RegisterUnavailable(`the register answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    }
    return response;
  }

  return {
    /** Do these facts match the register for this ID number? */
    async verify(nationalId: string, facts: RegisterFacts): Promise<boolean> {
      const response = await call('POST', '/verify', { national_id: nationalId, ...facts });
      if (!response.ok) throw new RegisterUnavailable(`the register refused the question (${response.status}): ${(await response.text()).slice(0, 200)}`);
      return ((await response.json()) as { match: boolean }).match;
    },
    /** The citizen's minimal profile; undefined when the register holds nobody with this number. */
    async citizen(nationalId: string): Promise<RegisterProfile | undefined> {
      const response = await call('GET', `/citizens/${encodeURIComponent(nationalId)}`);
      if (response.status === 404) return undefined;
      if (!response.ok) throw new RegisterUnavailable(`the register refused the question (${response.status})`);
      return (await response.json()) as RegisterProfile;
    },
  };
}

export type RegistryClient = ReturnType<typeof registryClient>;
