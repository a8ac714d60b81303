import { escapeHtml } from '@tamkeen/http-kit';
import nodemailer from 'nodemailer';

export interface OutgoingEmail {
  notificationId: string;
  to: string;
  subject: string;
  body: string;
  language: 'ar' | 'en';
}

export interface EmailProvider {
  /** Hands the message to the SMTP server; resolves with its Message-ID. */
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
  close(): void;
}


/** The HTML part: paragraphs of the text, right to left for Arabic. */
export function emailHtml(body: string, language: 'ar' | 'en'): string {
  const dir = language === 'ar' ? 'rtl' : 'ltr';
  const paragraphs = body
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  return `<!doctype html><html lang="${language}" dir="${dir}"><head><meta charset="utf-8"></head><body style="direction:${dir};text-align:${dir === 'rtl' ? 'right' : 'left'}">${paragraphs}</body></html>`;
}

/** nodemailer with a pooled SMTP transport; multipart text and HTML; the Message-ID names the notification. */
export function smtpEmailProvider({ smtpUrl, from, domain }: { smtpUrl: string; from: string; domain: string }): EmailProvider {
  const url = new URL(smtpUrl);
  // A pool of SMTP connections reused across messages (nodemailer reads these from the URL).
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  if (!url.searchParams.has('maxConnections')) url.searchParams.set('maxConnections', '5');
  const transport = nodemailer.createTransport(url.toString());
  return {
    async send(email) {
      const messageId = `<${email.notificationId}@${domain}>`;
      await transport.sendMail({
        from,
        to: email.to,
        subject: email.subject,
        text: email.body,
        html: emailHtml(email.body, email.language),
        messageId,
        headers: { 'Content-Language': email.language },
      });
      return { messageId };
    },
    close: () => transport.close(),
  };
}
