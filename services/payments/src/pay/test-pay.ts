import type { Express } from 'express';
import request from 'supertest';
import type { RunningSandbox } from '../psp/test-sandbox.js';

/**
 * Pays a payment on its hosted page as a citizen's browser without JavaScript would: the page (its
 * cookie and CSRF token), the card tokenised at the sandbox PSP as the page's script does, the
 * form posted. Answers the form's response (a 303 to the result when it went through).
 */
export async function payOnPage(app: Express, sandbox: RunningSandbox, id: string, cardNumber: string): Promise<request.Response> {
  const page = await request(app).get(`/pay/${id}`);
  const cookie = (page.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
  return request(app).post(`/pay/${id}`).set('Cookie', cookie).type('form').send({ csrf, payment_method: await sandbox.tokenise(cardNumber) });
}
