import { randomBytes } from 'node:crypto';

/** The states a Twilio message passes through, as its StatusCallback reports them. */
export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';

export interface SandboxMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  status: MessageStatus;
  errorCode: number | null;
  statusCallback: string | null;
  segments: number;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
}

/** Twilio-style ids: two letters and 32 hex digits. */
export function twilioSid(prefix: 'SM' | 'AC' | 'MG'): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

/**
 * What the sandbox has been asked to send, newest last, in memory only (the sandbox keeps nothing
 * durable). Bounded: the oldest messages are forgotten first.
 */
export class MessageStore {
  private readonly bySid = new Map<string, SandboxMessage>();
  private readonly byIdempotencyToken = new Map<string, string>();
  /** The idempotency-token key of each message that came with one, to forget it with the message. */
  private readonly tokenOf = new Map<string, string>();

  constructor(private readonly capacity = 10_000) {}

  add(message: SandboxMessage, idempotencyToken?: string): void {
    this.bySid.set(message.sid, message);
    if (idempotencyToken) {
      const key = `${message.accountSid}:${idempotencyToken}`;
      this.byIdempotencyToken.set(key, message.sid);
      this.tokenOf.set(message.sid, key);
    }
    if (this.bySid.size > this.capacity) {
      const oldest = this.bySid.keys().next().value;
      if (oldest !== undefined) {
        this.bySid.delete(oldest);
        const key = this.tokenOf.get(oldest);
        if (key !== undefined) this.byIdempotencyToken.delete(key);
        this.tokenOf.delete(oldest);
      }
    }
  }

  /** The message an earlier request with this I-Twilio-Idempotency-Token created, if any. */
  byToken(accountSid: string, idempotencyToken: string): SandboxMessage | undefined {
    const sid = this.byIdempotencyToken.get(`${accountSid}:${idempotencyToken}`);
    return sid === undefined ? undefined : this.bySid.get(sid);
  }

  get(sid: string): SandboxMessage | undefined {
    return this.bySid.get(sid);
  }

  /** Messages sent to `to` (E.164), newest first. */
  to(to: string): SandboxMessage[] {
    return [...this.bySid.values()].filter((m) => m.to === to).reverse();
  }

  all(): SandboxMessage[] {
    return [...this.bySid.values()].reverse();
  }
}
