import { callerOf, Conflict, NotFound, requireScope, resource, validate, type AccessTokenVerifier } from '@tamkeen/http-kit';
import type { IRouter } from 'express';
import { z } from 'zod';
import { newTemplate, templateEdit, templateView } from './template.js';
import { TemplateNameTaken, type TemplateRepository } from './template-repository.js';

const BASE = '/notifications/v1/templates';
const uuid = z.uuid();
const versionQuery = z.object({ version: z.coerce.number().int().positive({ message: 'must be a version number (1, 2, ...)' }).optional() });

function notFound(id: string) {
  return new NotFound(`Your organisation has no template ${id}.`);
}

async function rejectTakenName<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TemplateNameTaken) {
      throw new Conflict(`Your organisation already has a template named “${error.templateName}”.`, { code: 'template_name_taken' });
    }
    throw error;
  }
}

/** Templates of the caller's organisation: create, list, read (any version), edit (adds a version). */
export function templateRoutes(router: IRouter, templates: TemplateRepository, verify: AccessTokenVerifier): void {
  const write = requireScope(verify, 'notifications:send');
  const read = requireScope(verify, 'notifications:read', 'notifications:send');

  resource(router, BASE, {
    post: [
      write,
      async (req, res) => {
        const caller = callerOf(res);
        const input = validate(newTemplate, req.body);
        const created = await rejectTakenName(() => templates.create(caller.organisationId, input, caller.clientId));
        res.status(201).location(`${BASE}/${created.id}`).json(templateView(created));
      },
    ],
    get: [
      read,
      async (_req, res) => {
        const list = await templates.list(callerOf(res).organisationId);
        res.json({ templates: list.map(templateView) });
      },
    ],
  });

  resource(router, `${BASE}/:id`, {
    get: [
      read,
      async (req, res) => {
        const id = String(req.params.id);
        const { version } = validate(versionQuery, req.query);
        const found = uuid.safeParse(id).success ? await templates.find(callerOf(res).organisationId, id, version) : undefined;
        if (!found) throw version === undefined ? notFound(id) : new NotFound(`Your organisation has no version ${version} of template ${id}.`);
        res.json(templateView(found));
      },
    ],
    put: [
      write,
      async (req, res) => {
        const caller = callerOf(res);
        const id = String(req.params.id);
        const current = uuid.safeParse(id).success ? await templates.find(caller.organisationId, id) : undefined;
        if (!current) throw notFound(id);
        const edit = validate(templateEdit(current.type), req.body);
        const edited = await rejectTakenName(() => templates.edit(caller.organisationId, id, edit, caller.clientId));
        if (!edited) throw notFound(id);
        res.json(templateView(edited));
      },
    ],
  });
}
