import { z } from 'zod';
import { placeholdersOf } from '../domain/personalisation.js';
import { smsSegments, type SmsEncoding } from '@tamkeen/sms-text';

export type TemplateType = 'sms' | 'email';
export type Language = 'ar' | 'en';

export interface Bilingual {
  ar: string;
  en: string;
}

/** One version of a template, as stored and as answered. */
export interface TemplateVersion {
  id: string;
  organisationId: string;
  name: string;
  type: TemplateType;
  version: number;
  body: Bilingual;
  subject: Bilingual | undefined;
  createdAt: Date;
  updatedAt: Date;
}

// GOV.UK Notify's limit for a text message template: six GSM-7 parts.
const SMS_MAX_CHARACTERS = 918;
const EMAIL_MAX_CHARACTERS = 100_000;
const SUBJECT_MAX_CHARACTERS = 255;

const text = (max: number) => z.string().trim().min(1, { message: 'must not be empty' }).max(max, { message: `must be at most ${max} characters` });

function bilingual(max: number) {
  return z.object({ ar: text(max), en: text(max) }, { message: 'must give the text in Arabic (ar) and English (en)' }).strict();
}

const content = {
  body: z.unknown(),
  subject: bilingual(SUBJECT_MAX_CHARACTERS).optional(),
};

/** A template's content is checked against its type: SMS are short and have no subject; e-mails need one. */
function checkContent(type: TemplateType, value: { body: unknown; subject?: Bilingual }, ctx: z.RefinementCtx): Bilingual | undefined {
  const body = bilingual(type === 'sms' ? SMS_MAX_CHARACTERS : EMAIL_MAX_CHARACTERS).safeParse(value.body);
  if (!body.success) {
    for (const issue of body.error.issues) ctx.addIssue({ code: 'custom', path: ['body', ...issue.path.map(String)], message: issue.message });
    return undefined;
  }
  if (type === 'email' && !value.subject) ctx.addIssue({ code: 'custom', path: ['subject'], message: 'an e-mail template needs a subject in ar and en' });
  if (type === 'sms' && value.subject) ctx.addIssue({ code: 'custom', path: ['subject'], message: 'a text message template has no subject' });
  return body.data;
}

export const newTemplate = z
  .object({
    name: text(100),
    type: z.enum(['sms', 'email'], { message: 'must be sms or email' }),
    ...content,
  })
  .strict()
  .transform((value, ctx) => {
    const body = checkContent(value.type, value, ctx);
    return { name: value.name, type: value.type as TemplateType, body: body as Bilingual, subject: value.subject };
  });

export type NewTemplate = z.output<typeof newTemplate>;

/** An edit: new words (and optionally a new name); the type never changes. */
export function templateEdit(type: TemplateType) {
  return z
    .object({ name: text(100).optional(), ...content })
    .strict()
    .transform((value, ctx) => {
      const body = checkContent(type, value, ctx);
      return { name: value.name, body: body as Bilingual, subject: value.subject };
    });
}

export type TemplateEdit = z.output<ReturnType<typeof templateEdit>>;

interface SmsLength {
  encoding: SmsEncoding;
  parts: number;
}

/** What the API answers for a template version. */
export function templateView(template: TemplateVersion) {
  const texts = [template.body.ar, template.body.en, template.subject?.ar ?? '', template.subject?.en ?? ''];
  const placeholders = [...new Set(texts.flatMap(placeholdersOf))];
  const view: Record<string, unknown> = {
    id: template.id,
    name: template.name,
    type: template.type,
    version: template.version,
    body: template.body,
    placeholders,
    created_at: template.createdAt.toISOString(),
    updated_at: template.updatedAt.toISOString(),
  };
  if (template.subject) view.subject = template.subject;
  if (template.type === 'sms') {
    // Before personalisation: the values may add parts.
    const length = (body: string): SmsLength => {
      const { encoding, parts } = smsSegments(body);
      return { encoding, parts };
    };
    view.sms_length = { ar: length(template.body.ar), en: length(template.body.en) };
  }
  return view;
}
