import { describe, expect, it } from '@jest/globals';
import { MessageStore, twilioSid, type SandboxMessage } from './message-store.js';

const message = (): SandboxMessage => {
  const now = new Date();
  return { sid: twilioSid('SM'), accountSid: 'AC1', to: '+970599123456', from: 'Tamkeen', messagingServiceSid: null, body: 'x', status: 'queued', errorCode: null, statusCallback: null, segments: 1, dateCreated: now, dateUpdated: now, dateSent: null };
};

describe('MessageStore', () => {
  it('keeps the newest messages up to its capacity: a forgotten message is not found, by id or by its idempotency token', () => {
    const store = new MessageStore(2);
    const [first, second, third] = [message(), message(), message()];
    store.add(first, 'token-1');
    store.add(second, 'token-2');
    store.add(third, 'token-3');
    expect(store.get(first.sid)).toBeUndefined();
    expect(store.byToken('AC1', 'token-1')).toBeUndefined();
    expect(store.byToken('AC1', 'token-3')).toBe(third);
    expect(store.all()).toEqual([third, second]);
  });
});
