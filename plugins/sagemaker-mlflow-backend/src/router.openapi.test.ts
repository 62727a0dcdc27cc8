import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import { createRouter, RouterOptions } from './router';

// The router and openapi.yaml describe the same routes; response bodies are checked against the spec's schemas
// in packages/backend/src/__integration__/sagemakerMlflow.test.ts.
describe('openapi.yaml', () => {
  it('lists exactly the routes the router serves', async () => {
    const spec = YAML.parse(
      fs.readFileSync(path.join(__dirname, '..', 'openapi.yaml'), 'utf8'),
    );
    const documented = Object.entries(spec.paths).flatMap(([p, methods]) =>
      Object.keys(methods as object).map(
        method => `${method.toUpperCase()} ${p}`,
      ),
    );

    const router = await createRouter({ maxPayloadBytes: 1 } as RouterOptions);
    const served = (router as any).stack
      .filter((layer: any) => layer.route)
      .flatMap((layer: any) =>
        Object.keys(layer.route.methods).map(
          method =>
            `${method.toUpperCase()} ${layer.route.path.replace(
              /:(\w+)/g,
              '{$1}',
            )}`,
        ),
      );

    expect(served.sort()).toEqual(documented.sort());
  });
});
