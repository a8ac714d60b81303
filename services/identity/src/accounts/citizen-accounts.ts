import { randomUUID } from 'node:crypto';
import type { Knex } from '@tamkeen/db';

export interface CitizenAccount {
  id: string;
  nationalId: string;
  nameAr: string;
  nameEn: string;
  birthdate: string;
  phoneNumber: string | null;
  phoneNumberVerified: boolean;
  email: string | null;
  emailVerified: boolean;
  passwordHash: string;
  registerCheckedAt: Date | null;
}

interface Row {
  id: string;
  national_id: string;
  name_ar: string;
  name_en: string;
  birthdate: string;
  phone_number: string | null;
  phone_number_verified: boolean;
  email: string | null;
  email_verified: boolean;
  password_hash: string;
  register_checked_at: Date | null;
}

const toAccount = (r: Row): CitizenAccount => ({
  id: r.id,
  nationalId: r.national_id,
  nameAr: r.name_ar,
  nameEn: r.name_en,
  birthdate: r.birthdate,
  phoneNumber: r.phone_number,
  phoneNumberVerified: r.phone_number_verified,
  email: r.email,
  emailVerified: r.email_verified,
  passwordHash: r.password_hash,
  registerCheckedAt: r.register_checked_at,
});

/** How stale the record of the register's last confirmation may get before a login writes it again. */
export const REGISTER_CONFIRMATION_REFRESH_MS = 15 * 60 * 1000;

export function citizenAccounts(knex: Knex) {
  const select = () => knex('citizen_accounts').select<Row[]>('*', knex.raw(`to_char(birthdate, 'YYYY-MM-DD') as birthdate`));
  return {
    async byNationalId(nationalId: string): Promise<CitizenAccount | undefined> {
      const row = (await select().where({ national_id: nationalId }).first()) as Row | undefined;
      return row && toAccount(row);
    },
    async byId(id: string): Promise<CitizenAccount | undefined> {
      const row = (await select().where({ id }).first()) as Row | undefined;
      return row && toAccount(row);
    },
    async create(account: Omit<CitizenAccount, 'id' | 'registerCheckedAt'>): Promise<CitizenAccount> {
      const id = randomUUID();
      await knex('citizen_accounts').insert({
        id,
        national_id: account.nationalId,
        name_ar: account.nameAr,
        name_en: account.nameEn,
        birthdate: account.birthdate,
        phone_number: account.phoneNumber,
        phone_number_verified: account.phoneNumberVerified,
        email: account.email,
        email_verified: account.emailVerified,
        password_hash: account.passwordHash,
        register_checked_at: knex.fn.now(),
      });
      return (await this.byId(id))!;
    },
    /**
     * The register confirmed the person (alive, card valid) now; names and birthdate as it gave them.
     * Written when something changed or the last confirmation is older than `REGISTER_CONFIRMATION_REFRESH_MS`:
     * not a write at every login.
     */
    async registerConfirmed(account: CitizenAccount, { nameAr, nameEn, birthdate }: { nameAr: string; nameEn: string; birthdate: string }): Promise<void> {
      const unchanged = account.nameAr === nameAr && account.nameEn === nameEn && account.birthdate === birthdate;
      const fresh = account.registerCheckedAt !== null && Date.now() - account.registerCheckedAt.getTime() < REGISTER_CONFIRMATION_REFRESH_MS;
      if (unchanged && fresh) return;
      await knex('citizen_accounts').where({ id: account.id }).update({ name_ar: nameAr, name_en: nameEn, birthdate, register_checked_at: knex.fn.now(), updated_at: knex.fn.now() });
    },
    /**
     * An e-mail address the citizen has just confirmed with a code: it replaces any other. Not
     * unique across accounts: an address is no identifier here (logins are by ID number), a family
     * may share one, and refusing one that is taken would tell anyone whose address has an account.
     */
    async confirmEmail(id: string, email: string): Promise<void> {
      await knex('citizen_accounts').where({ id }).update({ email, email_verified: true, updated_at: knex.fn.now() });
    },
    /** A new hash of the same password (made with today's parameters). */
    async replacePasswordHash(id: string, passwordHash: string): Promise<void> {
      await knex('citizen_accounts').where({ id }).update({ password_hash: passwordHash, updated_at: knex.fn.now() });
    },
  };
}

export type CitizenAccounts = ReturnType<typeof citizenAccounts>;
