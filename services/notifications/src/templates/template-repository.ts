import { randomUUID } from 'node:crypto';
import { batched, type Knex } from '@tamkeen/db';
import type { Bilingual, NewTemplate, TemplateEdit, TemplateType, TemplateVersion } from './template.js';

interface Row {
  id: string;
  organisation_id: string;
  name: string;
  type: TemplateType;
  version: number;
  body_ar: string;
  body_en: string;
  subject_ar: string | null;
  subject_en: string | null;
  created_at: Date;
  updated_at: Date;
}

export class TemplateNameTaken extends Error {
  constructor(readonly templateName: string) {
    super(`a template named ${templateName} exists`);
  }
}

function toVersion(row: Row): TemplateVersion {
  const subject: Bilingual | undefined = row.subject_ar !== null && row.subject_en !== null ? { ar: row.subject_ar, en: row.subject_en } : undefined;
  return {
    id: row.id,
    organisationId: row.organisation_id,
    name: row.name,
    type: row.type,
    version: row.version,
    body: { ar: row.body_ar, en: row.body_en },
    subject,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const UNIQUE_VIOLATION = '23505';

/** Templates of one organisation at a time: every query is scoped by organisation_id. */
export function templateRepository(knex: Knex) {
  const versions = (db: Knex | Knex.Transaction) =>
    db('templates as t')
      .join('template_versions as v', 'v.template_id', 't.id')
      .select<Row[]>('t.id', 't.organisation_id', 't.name', 't.type', 'v.version', 'v.body_ar', 'v.body_en', 'v.subject_ar', 'v.subject_en', 'v.created_at', 't.updated_at');

  const currentBatched = batched(async (keys: ReadonlyArray<{ organisationId: string; id: string }>) => {
    const rows = await versions(knex)
      .whereIn(['t.organisation_id', 't.id'], [...new Map(keys.map((k) => [`${k.organisationId} ${k.id}`, [k.organisationId, k.id]])).values()])
      .whereRaw('v.version = t.current_version');
    const found = new Map(rows.map((row) => [`${row.organisation_id} ${row.id}`, toVersion(row)]));
    return keys.map((k) => found.get(`${k.organisationId} ${k.id}`));
  });

  return {
    async create(organisationId: string, input: NewTemplate, createdBy: string): Promise<TemplateVersion> {
      const id = randomUUID();
      try {
        await knex.transaction(async (trx) => {
          await trx('templates').insert({ id, organisation_id: organisationId, name: input.name, type: input.type, current_version: 1 });
          await trx('template_versions').insert(versionRow(id, 1, input, createdBy));
        });
      } catch (error) {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new TemplateNameTaken(input.name);
        throw error;
      }
      return (await this.find(organisationId, id))!;
    },

    /**
     * The current version, as a send reads it: the lookups of sends that arrive together go in one
     * query (under load, most sends of an organisation use a handful of templates).
     */
    current: (organisationId: string, id: string): Promise<TemplateVersion | undefined> => currentBatched({ organisationId, id }),

    /** The current version, or the one asked for; undefined when the organisation has no such template. */
    async find(organisationId: string, id: string, version?: number): Promise<TemplateVersion | undefined> {
      const query = versions(knex).where({ 't.id': id, 't.organisation_id': organisationId });
      const row = await (version === undefined ? query.whereRaw('v.version = t.current_version') : query.where('v.version', version)).first();
      return row && toVersion(row);
    },

    async list(organisationId: string): Promise<TemplateVersion[]> {
      const rows = await versions(knex).where('t.organisation_id', organisationId).whereRaw('v.version = t.current_version').orderBy('t.name');
      return rows.map(toVersion);
    },

    /** Adds a version; concurrent edits each get their own number (the row is locked meanwhile). */
    async edit(organisationId: string, id: string, edit: TemplateEdit, createdBy: string): Promise<TemplateVersion | undefined> {
      let version: number | undefined;
      try {
        await knex.transaction(async (trx) => {
          const current = await trx('templates').where({ id, organisation_id: organisationId }).forUpdate().first<{ current_version: number } | undefined>();
          if (!current) return;
          version = current.current_version + 1;
          await trx('template_versions').insert(versionRow(id, version, edit, createdBy));
          await trx('templates')
            .where({ id })
            .update({ current_version: version, updated_at: trx.fn.now(), ...(edit.name ? { name: edit.name } : {}) });
        });
      } catch (error) {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION && edit.name) throw new TemplateNameTaken(edit.name);
        throw error;
      }
      return version === undefined ? undefined : this.find(organisationId, id, version);
    },
  };
}

export type TemplateRepository = ReturnType<typeof templateRepository>;

function versionRow(templateId: string, version: number, content: { body: Bilingual; subject?: Bilingual | undefined }, createdBy: string) {
  return {
    template_id: templateId,
    version,
    body_ar: content.body.ar,
    body_en: content.body.en,
    subject_ar: content.subject?.ar ?? null,
    subject_en: content.subject?.en ?? null,
    created_by: createdBy,
  };
}
