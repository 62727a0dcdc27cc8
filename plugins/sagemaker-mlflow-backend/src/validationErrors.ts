import { InputError } from '@backstage/errors';
import type { ErrorRequestHandler, Request } from 'express';

interface Schema {
  $ref?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
}

/** What this handler reads of an OpenAPI document. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, any> };
}

const UNKNOWN =
  /request\/body((?:\/[^\s/,]+)*) must NOT have additional properties/g;

/**
 * Makes the spec validator's refusals say what to fix. It refuses an unknown body field with "request/body must NOT
 * have additional properties", without naming it: this adds the fields the body has and its schema does not, and
 * the ones the schema allows. It refuses a write without a body as "unsupported media type undefined": this says
 * that the route needs a JSON body.
 */
export function nameUnknownFields(doc: OpenApiDocument): ErrorRequestHandler {
  const resolve = (schema?: Schema): Schema | undefined =>
    schema?.$ref
      ? resolve(doc.components?.schemas?.[schema.$ref.split('/').pop()!])
      : schema;
  const routes = Object.entries(doc.paths).map(([template, operations]) => ({
    operations,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const bodySchema = (req: Request): Schema | undefined =>
    resolve(
      routes.find(route => route.pattern.test(req.path))?.operations[
        req.method.toLowerCase()
      ]?.requestBody?.content?.['application/json']?.schema,
    );

  const describe = (req: Request, text: string, pointer: string) => {
    let schema = bodySchema(req);
    let value = req.body;
    for (const segment of pointer.split('/').slice(1)) {
      const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
      const next = Array.isArray(value)
        ? schema?.items
        : schema?.properties?.[key] ??
          (typeof schema?.additionalProperties === 'object'
            ? schema.additionalProperties
            : undefined);
      schema = resolve(next);
      value = value?.[key];
    }
    if (!schema || !value || typeof value !== 'object') return text;
    const allowed = Object.keys(schema.properties ?? {});
    const unknown = Object.keys(value).filter(key => !allowed.includes(key));
    return `${text}: ${unknown.join(', ')} (allowed: ${
      allowed.join(', ') || 'none'
    })`;
  };

  return (error, req, _res, next) => {
    // A write without a body has no media type: the validator says "unsupported media type undefined".
    if (
      error?.name === 'InputError' &&
      /media type (undefined|not specified)/.test(String(error.message))
    ) {
      next(
        new InputError(
          `${req.method} ${req.path} needs a JSON body (Content-Type: application/json)`,
        ),
      );
      return;
    }
    if (
      error?.name !== 'InputError' ||
      !String(error.message).includes('must NOT have additional properties')
    ) {
      next(error);
      return;
    }
    next(
      new InputError(
        String(error.message).replace(UNKNOWN, (text, pointer: string) =>
          describe(req, text, pointer),
        ),
      ),
    );
  };
}
