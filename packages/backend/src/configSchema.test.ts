import { ConfigSchema, loadConfigSchema } from '@backstage/config-loader';
import fs from 'fs';
import path from 'path';
import YAML from 'yaml';

// The schema as the backend sees it: every package it depends on, transitively. Backend-defaults redacts the
// values this schema marks `@visibility secret` from logs; `backstage-cli config:check` validates against it.
const repoRoot = path.resolve(__dirname, '../../..');
let schema: ConfigSchema;
beforeAll(async () => {
  schema = await loadConfigSchema({
    dependencies: [require('../package.json').name],
  });
}, 120_000);

/** The local app-config.yaml, then `data` over it (the schema requires app and backend blocks). */
const local = YAML.parse(
  fs.readFileSync(path.join(repoRoot, 'app-config.yaml'), 'utf8'),
);
const appConfig = (data: object) => [
  { data: local, context: 'app-config.yaml' },
  { data, context: 'test' },
];

describe('config schema', () => {
  it('declares each block in the package that reads it', () => {
    const declaring = schema.serialize().schemas as Array<{
      packageName: string;
      value: any;
    }>;
    const owners = (test: (value: any) => boolean) =>
      declaring
        .filter(s => test(s.value?.properties))
        .map(s => s.packageName)
        .sort();

    expect(owners(p => p?.sagemakerMlflow?.properties?.mlflow)).toEqual([
      '@model-factory/plugin-sagemaker-mlflow-node',
    ]);
    expect(
      owners(p => p?.sagemakerMlflow?.properties?.localRepositories),
    ).toEqual([
      '@model-factory/plugin-scaffolder-backend-module-sagemaker-mlflow',
    ]);
    expect(
      owners(
        p => p?.search?.properties?.collators?.properties?.sagemakerMlflow,
      ),
    ).toEqual(['@model-factory/plugin-search-backend-module-sagemaker-mlflow']);
    expect(owners(p => p?.sagemakerMlflow?.properties?.catalog)).toEqual([
      '@model-factory/plugin-catalog-backend-module-sagemaker-mlflow',
    ]);
  });

  it('accepts the local app-config.yaml', () => {
    expect(schema.process(appConfig({}))).toHaveLength(2);
  });

  it('refuses a catalog models account that is not a list of accounts and regions', () => {
    expect(() =>
      schema.process(
        appConfig({
          sagemakerMlflow: { catalog: { sagemaker: { accountId: '1' } } },
        }),
      ),
    ).toThrow(/sagemakerMlflow\/catalog\/sagemaker/);
  });

  it('refuses a search schedule that is not one', () => {
    const data = {
      search: {
        collators: {
          sagemakerMlflow: {
            schedule: { frequency: { minutes: 'ten' } },
          },
        },
      },
    };
    expect(() => schema.process(appConfig(data))).toThrow(
      /must be number .* at \/search\/collators\/sagemakerMlflow\/schedule\/frequency\/minutes/,
    );
  });

  it('marks MLflow credentials secret, and nothing of the block reaches the frontend', () => {
    const data = {
      sagemakerMlflow: {
        mlflow: {
          servers: [
            {
              name: 'a',
              baseUrl: 'http://a',
              auth: { type: 'basic', username: 'user', password: 'pw-a' },
            },
            {
              name: 'b',
              baseUrl: 'http://b',
              auth: { type: 'bearer', token: 'token-b' },
            },
          ],
        },
      },
    };
    const [, secrets] = schema.process(appConfig(data), {
      visibility: ['secret'],
    });
    const values: string[] = [];
    JSON.parse(JSON.stringify(secrets.data), (_, v) => {
      if (typeof v === 'string') values.push(v);
      return v;
    });
    expect(values.sort()).toEqual(['pw-a', 'token-b']);

    const [, frontend] = schema.process(appConfig(data), {
      visibility: ['frontend'],
    });
    expect(frontend.data).toEqual({});
  });
});
