import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@tamkeen/testing';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type RunningSandbox } from '../test-sandbox.js';
import { SmsNotSent } from './sms-provider.js';
import { twilioSmsProvider } from './twilio-sms.js';

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.stop());

const provider = () =>
  twilioSmsProvider({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, baseUrl: sandbox.url, from: 'Tamkeen' });

async function inbox(to: string): Promise<Array<{ sid: string; body: string; status: string }>> {
  const response = await fetch(`${sandbox.url}/inbox/api/sms?to=${encodeURIComponent(to)}`);
  return ((await response.json()) as { messages: Array<{ sid: string; body: string; status: string }> }).messages;
}

describe('the Twilio SMS adapter, against the sandbox', () => {
  it('hands a message over and gets Twilio’s id for it', async () => {
    const { providerId } = await provider().send({ notificationId: randomUUID(), to: '+970599555001', body: 'رمز التحقق: 1234', statusCallback: undefined });
    expect(providerId).toMatch(/^SM[0-9a-f]{32}$/);
    const received = await inbox('+970599555001');
    expect(received).toEqual([expect.objectContaining({ sid: providerId, body: 'رمز التحقق: 1234' })]);
    await waitFor(async () => (await inbox('+970599555001'))[0]?.status === 'delivered', { what: 'delivery' });
  });

  it('sends a repeat of the same notification only once (the notification id travels with it)', async () => {
    const notificationId = randomUUID();
    const first = await provider().send({ notificationId, to: '+970599555002', body: 'once', statusCallback: undefined });
    const again = await provider().send({ notificationId, to: '+970599555002', body: 'once', statusCallback: undefined });
    expect(again.providerId).toBe(first.providerId);
    expect(await inbox('+970599555002')).toHaveLength(1);
  });

  it('reports a refusal that cannot succeed later as permanent', async () => {
    const error = await provider().send({ notificationId: randomUUID(), to: '+15005550001', body: 'x', statusCallback: undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmsNotSent);
    expect(error).toMatchObject({ permanent: true, providerCode: 21211 });
  });

  it('reports wrong credentials and an unreachable provider as temporary', async () => {
    const wrongToken = twilioSmsProvider({ accountSid: sandbox.accountSid, authToken: 'not-the-right-token', baseUrl: sandbox.url, from: 'Tamkeen' });
    await expect(wrongToken.send({ notificationId: randomUUID(), to: '+970599555003', body: 'x', statusCallback: undefined })).rejects.toMatchObject({ permanent: false });
    const down = twilioSmsProvider({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, baseUrl: 'http://127.0.0.1:1', from: 'Tamkeen' });
    await expect(down.send({ notificationId: randomUUID(), to: '+970599555003', body: 'x', statusCallback: undefined })).rejects.toMatchObject({ permanent: false });
  });

  it('gives up on a provider that does not answer in time, as a temporary failure', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const slow = twilioSmsProvider({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, from: 'Tamkeen', timeoutMs: 200 });
      const error = await slow.send({ notificationId: randomUUID(), to: '+970599555004', body: 'x', statusCallback: undefined }).catch((e: unknown) => e);
      expect(error).toMatchObject({ permanent: false, message: expect.stringContaining('ETIMEDOUT') });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
