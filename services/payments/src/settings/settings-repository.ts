import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import type { PaymentSettings } from './payment-settings.js';

interface Row {
  organisation_id: string;
  service_name_ar: string;
  service_name_en: string;
  login_required_above_ils: string | null;
  login_required_above_usd: string | null;
  login_required_above_jod: string | null;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

const THRESHOLD_COLUMNS = { ILS: 'login_required_above_ils', USD: 'login_required_above_usd', JOD: 'login_required_above_jod' } as const satisfies Record<Currency, keyof Row>;

const toSettings = (r: Row): PaymentSettings => ({
  organisationId: r.organisation_id,
  serviceName: { ar: r.service_name_ar, en: r.service_name_en },
  loginRequiredAbove: Object.fromEntries(
    (Object.entries(THRESHOLD_COLUMNS) as [Currency, keyof Row][]).flatMap(([currency, column]) => (r[column] === null ? [] : [[currency, Number(r[column])]])),
  ),
  updatedBy: r.updated_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export type SettingsInput = Pick<PaymentSettings, 'serviceName' | 'loginRequiredAbove'>;

/** The ministries' payment settings (table payment_settings), one row per organisation. */
export function settingsRepository(knex: Knex) {
  return {
    async get(organisationId: string): Promise<PaymentSettings | undefined> {
      const row = await knex('payment_settings').where({ organisation_id: organisationId }).first<Row | undefined>();
      return row && toSettings(row);
    },

    /** Replaces the organisation's settings as a whole (a threshold left out is removed). */
    async put(organisationId: string, input: SettingsInput, updatedBy: string): Promise<PaymentSettings> {
      const values = {
        service_name_ar: input.serviceName.ar,
        service_name_en: input.serviceName.en,
        ...Object.fromEntries((Object.entries(THRESHOLD_COLUMNS) as [Currency, string][]).map(([currency, column]) => [column, input.loginRequiredAbove[currency] ?? null])),
        updated_by: updatedBy,
      };
      const [row] = await knex('payment_settings')
        .insert({ organisation_id: organisationId, ...values })
        .onConflict('organisation_id')
        .merge({ ...values, updated_at: knex.fn.now() })
        .returning<Row[]>('*');
      return toSettings(row!);
    },
  };
}

export type SettingsRepository = ReturnType<typeof settingsRepository>;
