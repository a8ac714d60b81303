/** The port every SMS provider adapter implements. */
export interface OutgoingSms {
  /** The notification's id: the provider recognises a repeat of the same send by it. */
  notificationId: string;
  to: string;
  body: string;
  /** Where the provider reports delivery statuses. */
  statusCallback: string | undefined;
}

export interface SmsProvider {
  /** Hands the message over; resolves with the provider's id for it. */
  send(sms: OutgoingSms): Promise<{ providerId: string }>;
}

/**
 * The provider refused or failed. `permanent`: sending again cannot succeed (an invalid number, a
 * refused request); otherwise a later retry may (the provider was down, busy or rate-limiting).
 */
export class SmsNotSent extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly providerCode?: number,
  ) {
    super(message);
    this.name = 'SmsNotSent';
  }
}
