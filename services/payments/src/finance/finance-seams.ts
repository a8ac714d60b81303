import type { StatementUploads } from '../statements/statement-upload.js';

/**
 * Where the finance console calls what other parts of reconciliation build. Until they are given
 * to financeRoutes, the pages that need them say what is coming (501) and show no data.
 *
 * - Statement upload (statements/statement-upload.ts): the officer picks a camt.053 or MT940 file
 *   of a treasury account; the console streams it (multipart, at most STATEMENT_MAX_BYTES) to
 *   `statements.upload` as the officer, and shows its outcome in words; it lists `recent` ones.
 * - Report downloads (reconciliation/ reports, settlements/): `reports` lists what finance staff
 *   may download for a day, and gives one report's file; the console lists them with a link each.
 */
export interface FinanceSeams {
  statements?: StatementUploads;
  reports?: ReportCatalogue;
}

export interface ReportCatalogue {
  /** The reports there are, each with its names in Arabic and English and its formats. */
  list(): Array<{ id: string; name: { ar: string; en: string }; formats: Array<'csv' | 'json'> }>;
  /** One report of one day (YYYY-MM-DD) as a file; undefined when there is no such report. */
  download(id: string, day: string, format: 'csv' | 'json'): Promise<{ fileName: string; contentType: string; body: string } | undefined>;
}
