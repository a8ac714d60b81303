// Only the webhook part of the Twilio library (the whole library takes ~100 ms to load).
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import type { Logger } from '@tamkeen/http-kit';
import type { MessageStatus, SandboxMessage } from './message-store.js';

export interface CallbackOptions {
  authToken: string;
  logger: Logger;
  /** Pause before each status step, as a real network would take (0 in tests). */
  stepDelayMs: number;
}

/**
 * Moves a message through queued → sent → delivered (or undelivered/failed), posting each status
 * to its StatusCallback as Twilio does, signed with X-Twilio-Signature. A callback that fails is
 * logged and not retried (Twilio does not retry either).
 */
export async function deliver(message: SandboxMessage, final: { status: MessageStatus; errorCode: number | null }, options: CallbackOptions): Promise<void> {
  const steps: Array<{ status: MessageStatus; errorCode: number | null }> =
    final.status === 'failed' ? [final] : [{ status: 'sent', errorCode: null }, final];
  await notify(message, options);
  for (const step of steps) {
    if (options.stepDelayMs) await new Promise((resolve) => setTimeout(resolve, options.stepDelayMs));
    message.status = step.status;
    message.errorCode = step.errorCode;
    message.dateUpdated = new Date();
    if (step.status === 'sent') message.dateSent = message.dateUpdated;
    await notify(message, options);
  }
}

async function notify(message: SandboxMessage, { authToken, logger }: CallbackOptions): Promise<void> {
  if (!message.statusCallback) return;
  const params: Record<string, string> = {
    AccountSid: message.accountSid,
    ApiVersion: '2010-04-01',
    From: message.from ?? '',
    MessageSid: message.sid,
    MessageStatus: message.status,
    SmsSid: message.sid,
    SmsStatus: message.status,
    To: message.to,
  };
  if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
  if (message.errorCode !== null) params.ErrorCode = String(message.errorCode);
  try {
    const response = await fetch(message.statusCallback, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': getExpectedTwilioSignature(authToken, message.statusCallback, params) },
      body: new URLSearchParams(params),
      signal: AbortSignal.timeout(5_000),
    });
    await response.body?.cancel();
    if (!response.ok) logger.warn({ sid: message.sid, status: response.status }, 'status callback answered with an error');
  } catch (error) {
    logger.warn({ sid: message.sid, err: error }, 'status callback could not be delivered');
  }
}
