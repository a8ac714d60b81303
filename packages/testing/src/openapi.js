// Checks that what an API answered conforms to its OpenAPI 3.1 description (JSON Schema 2020-12).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const openapiDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'openapi');
const validators = new Map();

function validatorFor(specFile) {
  let ajv = validators.get(specFile);
  if (!ajv) {
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    if (specFile.includes('/')) {
      // A provider's API in a subfolder (`psp/stripe.yaml`) stands alone: loaded by its path, without the platform's specs.
      ajv.addSchema(parse(readFileSync(join(openapiDir, specFile), 'utf8')), specFile);
    } else {
      // Specs refer to each other (`platform.yaml#/components/...`): load them all under their file names.
      for (const file of readdirSync(openapiDir).filter((f) => f.endsWith('.yaml'))) {
        ajv.addSchema(parse(readFileSync(join(openapiDir, file), 'utf8')), file);
      }
    }
    validators.set(specFile, ajv);
  }
  return ajv;
}

/**
 * The ways `value` breaks the schema at `pointer` of `openapi/<specFile>`; empty when it conforms.
 * @param {string} specFile e.g. 'platform.yaml', or 'psp/stripe.yaml' under openapi/
 * @param {string} pointer e.g. '#/components/schemas/Problem'
 * @param {unknown} value
 * @returns {string[]}
 */
export function schemaViolations(specFile, pointer, value) {
  const validate = validatorFor(specFile).getSchema(`${specFile}${pointer}`);
  if (!validate) throw new Error(`no schema at ${specFile}${pointer}`);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
}
