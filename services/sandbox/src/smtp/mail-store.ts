/** An e-mail as the SMTP sink received it. */
export interface SandboxMail {
  id: number;
  messageId: string | undefined;
  from: string | undefined;
  /** Envelope recipients, lower-cased. */
  to: string[];
  subject: string | undefined;
  text: string | undefined;
  html: string | undefined;
  receivedAt: Date;
}

/** What the SMTP sink received, newest last, in memory only and bounded. */
export class MailStore {
  private readonly mails: SandboxMail[] = [];
  private nextId = 1;

  constructor(private readonly capacity = 10_000) {}

  add(mail: Omit<SandboxMail, 'id'>): SandboxMail {
    const stored = { ...mail, id: this.nextId++ };
    this.mails.push(stored);
    if (this.mails.length > this.capacity) this.mails.shift();
    return stored;
  }

  /** Mails to `address` (case-insensitive), newest first. */
  to(address: string): SandboxMail[] {
    const wanted = address.trim().toLowerCase();
    return this.mails.filter((m) => m.to.includes(wanted)).reverse();
  }

  all(): SandboxMail[] {
    return [...this.mails].reverse();
  }
}
