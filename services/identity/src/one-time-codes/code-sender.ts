import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';

export interface CodeSender {
  /** Sends a login code by SMS on the notifications service's priority lane. */
  sendSms(phoneNumber: string, code: string, language: 'ar' | 'en'): Promise<void>;
  /** Sends a one-time code by e-mail (a login code, or one that confirms the address). */
  sendEmail(emailAddress: string, code: string, language: 'ar' | 'en'): Promise<void>;
}

/** The notifications service did not take the code. */
export class CodeNotSent extends Error {}

interface CodeTemplate {
  name: string;
  type: 'sms' | 'email';
  subject?: { ar: string; en: string };
  body: { ar: string; en: string };
}

const SMS_TEMPLATE: CodeTemplate = { name: 'tamkeen-one-time-code', type: 'sms', body: { ar: 'رمز الدخول إلى تمكين: ((code)). لا تعطه لأحد.', en: 'Your Tamkeen login code: ((code)). Do not give it to anyone.' } };

// The code only in the body: a subject shows on lock screens and in notification previews.
const EMAIL_TEMPLATE: CodeTemplate = {
  name: 'tamkeen-one-time-code-email',
  type: 'email',
  subject: { ar: 'رمز التحقق من تمكين', en: 'Your Tamkeen security code' },
  body: {
    ar: 'رمز التحقق في تمكين: ((code))\n\nالرمز صالح خمس دقائق. لا تعطه لأحد، فلن يطلبه منك أي موظف حكومي.\n\nإن لم تطلب هذا الرمز فتجاهل هذه الرسالة.',
    en: 'Your Tamkeen security code: ((code))\n\nIt works for five minutes. Do not give it to anyone: no government employee will ever ask you for it.\n\nIf you did not ask for this code, ignore this e-mail.',
  },
};

export interface NotificationsCodeSenderOptions {
  notificationsUrl: string;
  /** The enterprise issuer (the `iss` of our access token) and the notifications API's audience. */
  issuer: string;
  audience: string;
  /** The enterprise issuer's ES256 signing key (private). */
  key: JWK;
  /** Identity's own organisation and client, as they appear on its notifications. */
  organisationId?: string;
  clientId?: string;
}

/**
 * Codes go out through the notifications service like any ministry's SMS: identity is a machine
 * client of its own enterprise issuer, and signs its access tokens (RFC 9068, five minutes) with
 * that issuer's key rather than calling its own token endpoint.
 */
export function notificationsCodeSender({ notificationsUrl, issuer, audience, key, organisationId = 'tamkeen', clientId = 'tamkeen-identity' }: NotificationsCodeSenderOptions): CodeSender {
  const base = `${notificationsUrl.replace(/\/$/, '')}/notifications/v1`;
  const signingKey = importJWK(key, 'ES256');
  let token: { value: string; until: number } | undefined;
  const templateIds = new Map<string, Promise<string>>();

  async function bearer(): Promise<string> {
    if (!token || token.until < Date.now() + 30_000) {
      const value = await new SignJWT({ client_id: clientId, organisation_id: organisationId, scope: 'notifications:send notifications:read' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
        .setIssuer(issuer)
        .setSubject(clientId)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti(randomUUID())
        .sign(await signingKey);
      token = { value, until: Date.now() + 5 * 60_000 };
    }
    return `Bearer ${token.value}`;
  }

  async function call(method: string, path: string, body?: object): Promise<Response> {
    try {
      return await fetch(`${base}${path}`, {
        method,
        headers: { authorization: await bearer(), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(5_000),
      });
    } catch (error) {
      throw new CodeNotSent(`the notifications service did not answer: ${String((error as { cause?: { code?: string } }).cause?.code ?? error)}`);
    }
  }

  /** One of our templates, made on first use. */
  function templateId(spec: CodeTemplate): Promise<string> {
    let id = templateIds.get(spec.name);
    if (!id) {
      id = (async () => {
        const listed = await call('GET', '/templates');
        if (listed.ok) {
          const found = ((await listed.json()) as { templates: Array<{ id: string; name: string }> }).templates.find((t) => t.name === spec.name);
          if (found) return found.id;
        }
        const created = await call('POST', '/templates', spec);
        if (created.status !== 201) throw new CodeNotSent(`could not make the code template ${spec.name} (${created.status})`);
        return ((await created.json()) as { id: string }).id;
      })().catch((error: unknown) => {
        templateIds.delete(spec.name);
        throw error;
      });
      templateIds.set(spec.name, id);
    }
    return id;
  }

  return {
    async sendSms(phoneNumber, code, language) {
      const response = await call('POST', '/sms', { phone_number: phoneNumber, template_id: await templateId(SMS_TEMPLATE), personalisation: { code }, priority: 'high', language });
      if (response.status !== 201) throw new CodeNotSent(`the notifications service answered ${response.status}`);
    },
    // The notifications API takes no priority for e-mail today: these go on its bulk lane.
    async sendEmail(emailAddress, code, language) {
      const response = await call('POST', '/email', { email_address: emailAddress, template_id: await templateId(EMAIL_TEMPLATE), personalisation: { code }, priority: 'high', language });
      if (response.status !== 201) throw new CodeNotSent(`the notifications service answered ${response.status}`);
    },
  };
}
