/** Twilio's error answer: its shape, codes and messages, as its REST API documents them. */
export interface TwilioError {
  status: number;
  code: number;
  message: string;
}

export const twilioError = (status: number, code: number, message: string): TwilioError => ({ status, code, message });

export function twilioErrorBody(error: TwilioError) {
  return { code: error.code, message: error.message, more_info: `https://www.twilio.com/docs/errors/${error.code}`, status: error.status };
}

/**
 * Twilio's test numbers (https://www.twilio.com/docs/iam/test-credentials), plus two of the
 * sandbox's own for delivery outcomes. A `To` here decides what happens; any other number is delivered.
 */
export const MAGIC_NUMBERS: Record<string, { refuse?: TwilioError; outcome?: { status: 'undelivered' | 'failed'; errorCode: number } }> = {
  '+15005550001': { refuse: twilioError(400, 21211, "The 'To' number +15005550001 is not a valid phone number.") },
  '+15005550002': { refuse: twilioError(400, 21612, "The 'To' phone number: +15005550002, is not currently reachable using the 'From' phone number via SMS.") },
  '+15005550003': { refuse: twilioError(400, 21408, 'Permission to send an SMS has not been enabled for the region indicated by the \'To\' number: +15005550003.') },
  '+15005550004': { refuse: twilioError(400, 21610, "Attempt to send to unsubscribed recipient") },
  '+15005550009': { refuse: twilioError(400, 21614, "'To' number is not a valid mobile number") },
  // The sandbox's own: accepted, then not delivered.
  '+15005550010': { outcome: { status: 'undelivered', errorCode: 30003 } },
  '+15005550011': { outcome: { status: 'failed', errorCode: 30008 } },
};
