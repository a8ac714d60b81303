import type { Knex } from '@tamkeen/db';
import type { CitizenRow } from './citizen.js';

export function registerRepository(knex: Knex) {
  return {
    async find(nationalId: string): Promise<CitizenRow | undefined> {
      // Dates as the register writes them (YYYY-MM-DD), not as JavaScript Dates in some time zone.
      return knex('citizens')
        .where({ national_id: nationalId })
        .first<CitizenRow | undefined>(
          knex.raw(`citizens.*, to_char(date_of_birth, 'YYYY-MM-DD') as date_of_birth, to_char(card_issue_date, 'YYYY-MM-DD') as card_issue_date`),
        );
    },
  };
}

export type RegisterRepository = ReturnType<typeof registerRepository>;
