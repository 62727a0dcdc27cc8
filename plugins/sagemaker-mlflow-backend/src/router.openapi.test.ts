import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import { createRouter, RouterOptions } from './router';
import { spec as generatedSpec } from './schema/openapi';

const spec = YAML.parse(
  fs.readFileSync(path.join(__dirname, 'schema', 'openapi.yaml'), 'utf8'),
);

/** `METHOD /path/{param}` for every route in an express router and the routers it mounts. */
function routesOf(router: any): string[] {
  return router.stack.flatMap((layer: any) => {
    if (layer.route)
      return Object.keys(layer.route.methods).map(
        method =>
          `${method.toUpperCase()} ${layer.route.path.replace(
            /:(\w+)/g,
            '{$1}',
          )}`,
      );
    return layer.handle?.stack ? routesOf(layer.handle) : [];
  });
}

// Response bodies are checked against the spec's schemas in packages/backend/src/__integration__, requests in
// router.validation.test.ts.
describe('openapi.yaml', () => {
  it('is what the generated router validates with (else run yarn openapi:generate)', () => {
    expect(JSON.parse(JSON.stringify(generatedSpec))).toEqual(spec);
  });

  it('lists exactly the routes the router serves', async () => {
    const documented = Object.entries(spec.paths).flatMap(([p, methods]) =>
      Object.keys(methods as object).map(
        method => `${method.toUpperCase()} ${p}`,
      ),
    );

    const router = await createRouter({ maxPayloadBytes: 1 } as RouterOptions);
    // The body parsers' routes repeat some paths; the spec route is backend-openapi-utils' own.
    const served = [...new Set(routesOf(router))].filter(
      route => route !== 'GET /openapi.json',
    );

    expect(served.sort()).toEqual(documented.sort());
  });
});
