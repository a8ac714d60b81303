import { resource } from '@tamkeen/http-kit';
import type { IRouter } from 'express';
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

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/**
 * What the sandbox "delivered", for people (a page) and for demos and tests (JSON): one-time codes
 * are read here. `?to=+970599123456` narrows to one phone number.
 */
export function inboxRoutes(router: IRouter, messages: MessageStore): void {
  resource(router, '/inbox/api/sms', {
    get: (req, res) => {
      const to = typeof req.query.to === 'string' ? req.query.to.trim().replace(/^ /, '+') : undefined;
      res.json({ messages: (to ? messages.to(to) : messages.all()).map(inboxEntry) });
    },
  });
  resource(router, '/inbox/sms', {
    get: (req, res) => {
      const to = typeof req.query.to === 'string' ? req.query.to.trim().replace(/^ /, '+') : undefined;
      const list = to ? messages.to(to) : messages.all();
      const rows = list
        .map(
          (m) =>
            `<li><p class="meta">${escapeHtml(m.to)} · ${escapeHtml(m.status)} · ${m.dateCreated.toISOString()}</p><p dir="auto">${escapeHtml(m.body)}</p></li>`,
        )
        .join('\n');
      res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox SMS inbox${to ? ` — ${escapeHtml(to)}` : ''}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}li{list-style:none;border-bottom:1px solid #ddd;padding:.5rem 0}.meta{color:#555;font-size:.85rem;margin:0}</style>
</head><body><h1>Sandbox SMS inbox${to ? ` — ${escapeHtml(to)}` : ''}</h1>
${list.length ? `<ul>${rows}</ul>` : '<p>No messages yet.</p>'}
</body></html>`);
    },
  });
}
