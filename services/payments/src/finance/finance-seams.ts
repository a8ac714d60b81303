import type { Readable } from 'node:stream';

/**
 * Where the finance console will call what other parts of reconciliation build. Until they are
 * given to financeRoutes, the pages that need them say what is coming (501) and show no data.
 *
 * - Statement upload (statements/): the officer picks a camt.053 or MT940 file of a treasury
 *   account and the console hands it, as a stream, to `importStatement`, whose outcome the page
 *   then shows in words. The form (multipart, the file's size limited by STATEMENT_MAX_BYTES) is
 *   built with it.
 * - Report downloads (reconciliation/ reports, settlements/): `reports` lists what finance staff
 *   may download for a day, and gives one report's file; the console lists them with a link each.
 */
export interface FinanceSeams {
  importStatement?: StatementImport;
  reports?: ReportCatalogue;
}

/** One bank statement file, imported as `actor` (the officer's sub): what came of it, in words the page shows. */
export type StatementImport = (file: { fileName: string; body: Readable }, actor: string) => Promise<
  | { outcome: 'imported'; statementId: string; entries: number }
  | { outcome: 'already_imported'; statementId: string }
  | { outcome: 'rejected'; reason: string; line?: number }
>;

export interface ReportCatalogue {
  /** The reports there are, each with its names in Arabic and English and its formats. */
  list(): Array<{ id: string; name: { ar: string; en: string }; formats: Array<'csv' | 'json'> }>;
  /** One report of one day (YYYY-MM-DD) as a file; undefined when there is no such report. */
  download(id: string, day: string, format: 'csv' | 'json'): Promise<{ fileName: string; contentType: string; body: string } | undefined>;
}
