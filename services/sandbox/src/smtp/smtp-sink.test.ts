import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@tamkeen/config';
import { createLogger } from '@tamkeen/http-kit';
import { logCapture } from '@tamkeen/testing';
import nodemailer, { type Transporter } from 'nodemailer';
import request from 'supertest';
import { createApp } from '../app.js';
import { sandboxConfig } from '../config.js';
import { MailStore } from './mail-store.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';

const mails = new MailStore();
const logger = createLogger({ service: 'sandbox', destination: logCapture().destination });
const app = createApp({ config: loadConfig('sandbox', sandboxConfig, {}), logger, mails });
let sink: SmtpSink;
let transport: Transporter;

beforeAll(async () => {
  sink = await startSmtpSink({ port: 0, host: '127.0.0.1', store: mails, logger });
  transport = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true, auth: { user: 'notifications', pass: 'any' } });
});
afterAll(async () => {
  transport.close();
  await sink.close();
});

describe('SMTP sink', () => {
  it('receives a real SMTP delivery from nodemailer and shows it in the e-mail inbox', async () => {
    const sent = await transport.sendMail({
      from: 'Tamkeen <no-reply@tamkeen.test>',
      to: 'Amal@Example.org',
      subject: 'إيصال الدفع',
      text: 'تم استلام دفعتك.',
      html: '<p dir="rtl">تم استلام دفعتك.</p>',
    });
    expect(sent.accepted).toHaveLength(1);

    const inbox = await request(app).get('/inbox/api/email').query({ to: 'amal@example.org' });
    expect(inbox.status).toBe(200);
    expect(inbox.body.messages).toEqual([
      expect.objectContaining({
        message_id: sent.messageId,
        to: ['amal@example.org'],
        subject: 'إيصال الدفع',
        text: 'تم استلام دفعتك.',
        html: '<p dir="rtl">تم استلام دفعتك.</p>',
      }),
    ]);
    const page = await request(app).get('/inbox/email').query({ to: 'amal@example.org' });
    expect(page.text).toContain('إيصال الدفع');
  });

  it('keeps each recipient’s mail apart', async () => {
    await transport.sendMail({ from: 'no-reply@tamkeen.test', to: 'someone.else@example.org', subject: 'Other', text: 'x' });
    const inbox = await request(app).get('/inbox/api/email').query({ to: 'amal@example.org' });
    expect(inbox.body.messages.map((m: { subject: string }) => m.subject)).toEqual(['إيصال الدفع']);
  });
});
