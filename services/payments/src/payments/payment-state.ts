/**
 * A payment's life, as GOV.UK Pay's: `created` (by the ministry's service) → `started` (the
 * citizen opened the payment page) → `submitted` (the card was sent to the PSP) → `succeeded` or
 * `failed`; `cancelled` by the ministry until the citizen submits; `expired` when not completed in
 * time. The last four are final. A submitted payment is not expired: the PSP's answer decides it.
 */
export const PAYMENT_STATUSES = ['created', 'started', 'submitted', 'succeeded', 'failed', 'cancelled', 'expired'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const FINAL_STATUSES: readonly PaymentStatus[] = ['succeeded', 'failed', 'cancelled', 'expired'];

/** What can happen to a payment, each allowed only from some statuses. */
export const PAYMENT_EVENTS = {
  start: { from: ['created'], to: 'started' },
  submit: { from: ['started'], to: 'submitted' },
  succeed: { from: ['submitted'], to: 'succeeded' },
  fail: { from: ['submitted'], to: 'failed' },
  cancel: { from: ['created', 'started'], to: 'cancelled' },
  expire: { from: ['created', 'started'], to: 'expired' },
} as const satisfies Record<string, { from: readonly PaymentStatus[]; to: PaymentStatus }>;
export type PaymentEvent = keyof typeof PAYMENT_EVENTS;

/**
 * What `event` does to a payment in `status`: moves it (`applied`), finds it already where the
 * event leads (`already`: the same webhook twice, a double-clicked button), or is refused (an
 * illegal transition, e.g. cancelling a payment the citizen has submitted).
 */
export function outcomeOf(status: PaymentStatus, event: PaymentEvent): 'applied' | 'already' | 'refused' {
  const { from, to } = PAYMENT_EVENTS[event];
  if ((from as readonly PaymentStatus[]).includes(status)) return 'applied';
  return status === to ? 'already' : 'refused';
}
