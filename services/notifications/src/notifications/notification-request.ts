import { z } from 'zod';

const common = {
  template_id: z.uuid({ message: 'must be the id of one of your templates' }),
  personalisation: z.record(z.string(), z.unknown(), { message: 'must be an object of placeholder values' }).default({}),
  reference: z.string().trim().min(1).max(255, { message: 'must be at most 255 characters' }).optional(),
  language: z.enum(['ar', 'en'], { message: 'must be ar or en' }).default('ar'),
  // One-time codes (by SMS or by e-mail, for citizens abroad) go on their own lane, never behind bulk messages.
  priority: z.enum(['high', 'normal'], { message: 'must be high (one-time codes) or normal' }).default('normal'),
};

export const smsRequest = z
  .object({
    phone_number: z.string({ message: 'is required' }).min(1, { message: 'is required' }),
    ...common,
  })
  .strict();

export const emailRequest = z
  .object({
    email_address: z.email({ message: 'is not a valid e-mail address' }).max(320),
    ...common,
  })
  .strict();

export type SmsRequest = z.output<typeof smsRequest>;
export type EmailRequest = z.output<typeof emailRequest>;
