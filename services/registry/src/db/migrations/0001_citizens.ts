import type { Migration } from '@tamkeen/db';

/**
 * The citizen register. A national ID number is nine digits, the last a Luhn check digit; the
 * database refuses any other, so no import or seed can store an impossible number.
 */
export const citizens: Migration = {
  name: '0001_citizens',
  async up(knex) {
    await knex.raw(`
      create function national_id_is_valid(id text) returns boolean language plpgsql immutable as $$
      declare
        total int := 0;
        digit int;
      begin
        if id !~ '^[0-9]{9}$' then return false; end if;
        for i in 1..9 loop
          digit := substr(id, i, 1)::int;
          if i % 2 = 0 then
            digit := digit * 2;
            if digit > 9 then digit := digit - 9; end if;
          end if;
          total := total + digit;
        end loop;
        return total % 10 = 0;
      end $$;
    `);
    await knex.schema.createTable('citizens', (t) => {
      t.specificType('national_id', 'char(9)').primary();
      t.text('first_name_ar').notNullable();
      t.text('father_name_ar').notNullable();
      t.text('grandfather_name_ar').notNullable();
      t.text('family_name_ar').notNullable();
      t.text('first_name_en').notNullable();
      t.text('father_name_en').notNullable();
      t.text('grandfather_name_en').notNullable();
      t.text('family_name_en').notNullable();
      t.date('date_of_birth').notNullable();
      t.text('sex').notNullable();
      t.text('mother_first_name_ar').notNullable();
      t.text('place_of_birth').notNullable();
      t.text('governorate').notNullable();
      t.date('card_issue_date').notNullable();
      t.text('status').notNullable().defaultTo('alive');
      t.text('card_status').notNullable().defaultTo('valid');
    });
    await knex.raw(`alter table citizens add constraint citizens_national_id check (national_id_is_valid(national_id))`);
    await knex.raw(`alter table citizens add constraint citizens_sex check (sex in ('male', 'female'))`);
    await knex.raw(`alter table citizens add constraint citizens_status check (status in ('alive', 'deceased'))`);
    await knex.raw(`alter table citizens add constraint citizens_card_status check (card_status in ('valid', 'revoked'))`);
  },
  async down(knex) {
    await knex.schema.dropTable('citizens');
    await knex.raw('drop function if exists national_id_is_valid(text)');
  },
};
