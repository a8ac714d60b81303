import { escapeHtml, resource } from '@tamkeen/http-kit';
import type { IRouter } from 'express';
import type { MailStore, SandboxMail } from './smtp/mail-store.js';
import type { MessageStore, SandboxMessage } from './twilio/message-store.js';

function inboxEntry(message: SandboxMessage) {
  return {
    sid: message.sid,
    to: message.to,
    from: message.from ?? message.messagingServiceSid,
    body: message.body,
    status: message.status,
    segments: message.segments,
    created_at: message.dateCreated.toISOString(),
  };
}

function mailEntry(mail: SandboxMail) {
  return {
    id: mail.id,
    message_id: mail.messageId,
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    received_at: mail.receivedAt.toISOString(),
  };
}

/**
 * What the sandbox "delivered", for people (a page) and for demos and tests (JSON): one-time codes
 * are read here. `?to=+970599123456` narrows to one phone number.
 */
function page(title: string, items: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}li{list-style:none;border-bottom:1px solid #ddd;padding:.5rem 0}.meta{color:#555;font-size:.85rem;margin:0}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${items.length ? `<ul>${items.join('\n')}</ul>` : '<p>No messages yet.</p>'}
</body></html>`;
}

/** `?to=` from a query string; a `+` sent unencoded arrives as a space. */
function recipientOf(query: unknown): string | undefined {
  const to = (query as { to?: unknown }).to;
  return typeof to === 'string' && to.trim() ? to.trim().replace(/^ /, '+').replace(/^(\d)/, '+$1') : undefined;
}

export function inboxRoutes(router: IRouter, messages: MessageStore, mails: MailStore): void {
  resource(router, '/inbox/api/email', {
    get: (req, res) => {
      const to = typeof req.query.to === 'string' ? req.query.to : undefined;
      res.json({ messages: (to ? mails.to(to) : mails.all()).map(mailEntry) });
    },
  });
  resource(router, '/inbox/email', {
    get: (req, res) => {
      const to = typeof req.query.to === 'string' ? req.query.to : undefined;
      const items = (to ? mails.to(to) : mails.all()).map(
        (m) =>
          `<li><p class="meta">${escapeHtml(m.to.join(', '))} · ${m.receivedAt.toISOString()}</p><p dir="auto"><strong>${escapeHtml(m.subject ?? '')}</strong></p><p dir="auto">${escapeHtml(m.text ?? '')}</p></li>`,
      );
      res.type('html').send(page(`Sandbox e-mail inbox${to ? ` — ${to}` : ''}`, items));
    },
  });
  resource(router, '/inbox/api/sms', {
    get: (req, res) => {
      const to = recipientOf(req.query);
      res.json({ messages: (to ? messages.to(to) : messages.all()).map(inboxEntry) });
    },
  });
  resource(router, '/inbox/sms', {
    get: (req, res) => {
      const to = recipientOf(req.query);
      const items = (to ? messages.to(to) : messages.all()).map(
        (m) =>
          `<li><p class="meta">${escapeHtml(m.to)} · ${escapeHtml(m.status)} · ${m.dateCreated.toISOString()}</p><p dir="auto">${escapeHtml(m.body)}</p></li>`,
      );
      res.type('html').send(page(`Sandbox SMS inbox${to ? ` — ${to}` : ''}`, items));
    },
  });
}
