import fs from 'fs';
import type { Server } from 'http';
import path from 'path';
import request from 'supertest';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import sagemakerMlflowPlugin from '@model-factory/plugin-sagemaker-mlflow-backend';
import scaffolderModule, {
  localRepositoryUrlReader,
} from '@model-factory/plugin-scaffolder-backend-module-sagemaker-mlflow';
import { GUEST, postTask, runTask, waitForEntity } from './backendRequests';
import { emulatorAwsConfig, testStack } from './stack';

export { GUEST, waitForEntity };

// The real scaffolder and catalog with our scaffolder module, the create-model-project template ingested, pointed
// at the test stack's MLflow and SageMaker emulator: what the template tests run the template through.
export const repoRoot = path.resolve(__dirname, '../../../..');
export const templateDir = path.join(
  repoRoot,
  'templates/create-model-project',
);

export async function startTemplateBackend(
  stack: ReturnType<typeof testStack>,
  repositories: string,
): Promise<Server> {
  const { server } = await startTestBackend({
    features: [
      mockServices.rootConfig.factory({
        data: {
          backend: { baseUrl: 'http://localhost:7007' },
          aws: emulatorAwsConfig,
          catalog: {
            rules: [{ allow: ['Component', 'Location', 'Template'] }],
            locations: [
              {
                type: 'file',
                target: path.join(templateDir, 'template.yaml'),
              },
              {
                type: 'file',
                target: path.join(repoRoot, 'dev/catalog/org.yaml'),
                rules: [{ allow: ['User', 'Group'] }],
              },
            ],
          },
          sagemakerMlflow: {
            sagemaker: { endpoint: stack.sagemakerEndpoint },
            mlflow: {
              servers: [{ name: 'default', baseUrl: stack.mlflowUrl }],
            },
            localRepositories: { root: repositories },
          },
        },
      }),
      // Permissions are not what these tests are about; the shipped policy has its own tests.
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      catalogPlugin,
      catalogScaffolderEntityModel,
      scaffolderPlugin,
      scaffolderModule,
      localRepositoryUrlReader,
      sagemakerMlflowPlugin,
    ],
  });
  const template = await waitForEntity(
    server,
    'template/default/create-model-project',
  );
  if (template.status !== 200) {
    throw new Error(
      `the catalog did not ingest the template: ${template.status}`,
    );
  }
  return server;
}

const TEMPLATE = 'template:default/create-model-project';

/** POSTs a task of the create-model-project template; the answer, before anything ran. */
export const postTemplateTask = (server: any, values: object) =>
  postTask(server, TEMPLATE, values);

/** Runs the create-model-project template to its end; its status and the steps' log. */
export const runTemplate = (server: any, values: object) =>
  runTask(server, TEMPLATE, values);

/** Every file under `dir`, as the dry-run API takes a template's directory. */
function directoryContents(dir: string, prefix = ''): object[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    if (entry.name === '__pycache__') return [];
    const full = path.join(dir, entry.name);
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory()
      ? directoryContents(full, relative)
      : [
          {
            path: relative,
            base64Content: fs.readFileSync(full).toString('base64'),
          },
        ];
  });
}

/**
 * A template of only the create-model-project skeleton's fetch:template step, given the values template.yaml
 * computes from its parameters as one `values` parameter: renders the skeleton with the real scaffolder, without
 * the template's parameter patterns.
 */
export const skeletonOnlyTemplate = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'render-skeleton' },
  spec: {
    owner: 'group:default/ml-platform',
    type: 'test',
    steps: [
      {
        id: 'fetch',
        action: 'fetch:template',
        input: { url: './skeleton', values: '${{ parameters.values }}' },
      },
    ],
  },
};

/**
 * Runs `template` in the scaffolder's dry-run mode with the create-model-project template's directory (so
 * `./skeleton` is the real skeleton) and writes the workspace it produced into `target`.
 */
export async function dryRunIntoDirectory(
  server: any,
  template: object,
  values: object,
  target: string,
) {
  const res = await request(server)
    .post('/api/scaffolder/v2/dry-run')
    .set('Authorization', GUEST)
    .send({
      template,
      values,
      directoryContents: directoryContents(templateDir),
    });
  if (res.status !== 200) {
    throw new Error(
      `dry run failed: ${res.status} ${JSON.stringify(res.body)}`,
    );
  }
  for (const file of res.body.directoryContents) {
    const destination = path.join(target, file.path);
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    fs.writeFileSync(destination, Buffer.from(file.base64Content, 'base64'));
  }
  return res.body;
}
