import { httpServiceVariables, port, z } from '@tamkeen/config';

/**
 * The sandbox keeps nothing durable: no database, no Redis. Its Twilio account is a development
 * credential: the notifications service is configured with the same SID and token.
 */
export const sandboxConfig = z.object({
  ...httpServiceVariables(4005),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-f]{32}$/, { message: 'must be AC followed by 32 hex digits' })
    .default('AC00000000000000000000000000000000'),
  TWILIO_AUTH_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).default('sandbox-twilio-auth-token'),
  /** The SMTP sink's port (plain SMTP, any login or none). */
  SMTP_PORT: port(2525),
  /** Pause between a message's statuses (queued → sent → delivered), as a network would take. */
  SMS_STEP_DELAY_MS: z.coerce.number().int().min(0, { message: 'must be 0 or more' }).default(200),
});

export type SandboxConfig = z.output<typeof sandboxConfig>;
