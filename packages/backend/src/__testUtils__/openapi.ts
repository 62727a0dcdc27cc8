import fs from 'fs';
import path from 'path';
import Ajv from 'ajv';
import YAML from 'yaml';

const spec = YAML.parse(
  fs.readFileSync(
    path.join(
      path.dirname(
        require.resolve(
          '@model-factory/plugin-sagemaker-mlflow-backend/package.json',
        ),
      ),
      'src/schema/openapi.yaml',
    ),
    'utf8',
  ),
);
// OpenAPI documents carry keywords JSON Schema does not know (paths, nullable, formats): validate schemas only.
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(spec, 'openapi');

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const templates = Object.keys(spec.paths).map(template => ({
  template,
  pattern: new RegExp(
    `^/api/sagemaker-mlflow${template.replace(/\{[^}]+\}/g, '[^/]+')}$`,
  ),
}));

/** Throws unless the response body matches the OpenAPI spec's schema for this method, path and status. */
export function expectMatchesSpec(
  method: string,
  url: string,
  status: number,
  body: unknown,
) {
  const pathname = url.split('?')[0];
  const match = templates.find(t => t.pattern.test(pathname));
  if (!match) throw new Error(`${method} ${pathname} is not in openapi.yaml`);
  const pointer = `openapi#/paths/${escape(
    match.template,
  )}/${method.toLowerCase()}/responses/${status}`;
  const response =
    spec.paths[match.template][method.toLowerCase()]?.responses?.[
      String(status)
    ];
  if (!response)
    throw new Error(
      `openapi.yaml has no ${status} response for ${method} ${match.template}`,
    );
  const schemaRef = response.$ref
    ? `openapi${response.$ref}/content/application~1json/schema`
    : `${pointer}/content/application~1json/schema`;
  const validate = ajv.compile({ $ref: schemaRef });
  if (!validate(body)) {
    throw new Error(
      `${method} ${pathname} ${status} does not match openapi.yaml: ${ajv.errorsText(
        validate.errors,
      )}`,
    );
  }
}
