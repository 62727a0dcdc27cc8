import fs from 'fs';
import type { Server } from 'http';
import path from 'path';
import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import sagemakerMlflowPlugin from '@model-factory/plugin-sagemaker-mlflow-backend';
import scaffolderModule, {
  localRepositoryUrlReader,
} from '@model-factory/plugin-scaffolder-backend-module-sagemaker-mlflow';
import { emulatorAwsConfig, testStack } from './stack';

// The real scaffolder and catalog with our scaffolder module, the create-model-project template ingested, pointed
// at the test stack's MLflow and SageMaker emulator: what the template tests run the template through.
export const repoRoot = path.resolve(__dirname, '../../../..');
export const templateDir = path.join(
  repoRoot,
  'templates/create-model-project',
);
export const GUEST = mockCredentials.user.header('user:default/guest');

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

/** POSTs a task of the create-model-project template; the answer, before anything ran. */
export function postTemplateTask(server: any, values: object) {
  return request(server)
    .post('/api/scaffolder/v2/tasks')
    .set('Authorization', GUEST)
    .send({
      templateRef: 'template:default/create-model-project',
      values,
    });
}

/** Runs the template to its end; its status and the steps' log. */
export async function runTemplate(server: any, values: object) {
  const created = await postTemplateTask(server, values);
  if (created.status !== 201) {
    throw new Error(
      `the scaffolder refused the task: ${created.status} ${JSON.stringify(
        created.body,
      )}`,
    );
  }
  for (let i = 0; i < 240; i++) {
    const task = await request(server)
      .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
      .set('Authorization', GUEST);
    if (['completed', 'failed', 'cancelled'].includes(task.body.status)) {
      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
        .set('Authorization', GUEST);
      const log = events.body
        .map((e: any) => e.body?.message)
        .filter(Boolean)
        .join('\n');
      return { status: task.body.status as string, log };
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error('the scaffolder task did not finish in 2 minutes');
}

export async function waitForEntity(server: any, ref: string) {
  let res = await request(server)
    .get(`/api/catalog/entities/by-name/${ref}`)
    .set('Authorization', GUEST);
  for (let i = 0; i < 120 && res.status === 404; i++) {
    await new Promise(r => setTimeout(r, 500));
    res = await request(server)
      .get(`/api/catalog/entities/by-name/${ref}`)
      .set('Authorization', GUEST);
  }
  return res;
}

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
