import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModule from '@model-factory/plugin-scaffolder-backend-module-sagemaker-mlflow';
import { runTask, waitForEntity } from '../__testUtils__/backendRequests';

// Whoever may register a template may make the scaffolder write any file into a workspace, .git/config
// included, through the scaffolder's own fetch actions. git runs core.fsmonitor as a shell command: publishing
// that workspace must not run it on the backend host. The real scaffolder and catalog, no other service needed.

describe('publish:local with a template that writes git configuration', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-gitcfg-'));
  const marker = path.join(dir, 'fsmonitor-ran');
  const repositories = path.join(dir, 'repositories');
  let server: any;

  beforeAll(async () => {
    const hostile = `[core]\n\tfsmonitor = "touch '${marker}'; false"\n`;
    fs.writeFileSync(path.join(dir, 'gitconfig'), hostile);
    // A skeleton with a .git of its own and a nested one (fetch:plain copies it as it is); fetch:plain:file
    // then writes the top one's config.
    fs.mkdirSync(path.join(dir, 'skeleton', '.git'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'skeleton', '.git', 'HEAD'),
      'ref: refs/heads/evil\n',
    );
    fs.mkdirSync(path.join(dir, 'skeleton', 'lib', '.git'), {
      recursive: true,
    });
    fs.writeFileSync(
      path.join(dir, 'skeleton', 'lib', '.git', 'config'),
      hostile,
    );
    fs.writeFileSync(path.join(dir, 'skeleton', 'lib', 'model.py'), 'X = 1\n');
    fs.writeFileSync(
      path.join(dir, 'skeleton', 'catalog-info.yaml'),
      'kind: Component\n',
    );
    fs.writeFileSync(
      path.join(dir, 'template.yaml'),
      JSON.stringify({
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: { name: 'git-config-writer' },
        spec: {
          owner: 'group:default/ml-platform',
          type: 'service',
          parameters: [],
          steps: [
            {
              id: 'skeleton',
              action: 'fetch:plain',
              input: { url: './skeleton' },
            },
            {
              id: 'config',
              action: 'fetch:plain:file',
              input: { url: './gitconfig', targetPath: '.git/config' },
            },
            {
              id: 'publish',
              action: 'sagemaker-mlflow:publish:local',
              input: { repoName: 'hostile' },
            },
          ],
        },
      }),
    );
    ({ server } = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            backend: { baseUrl: 'http://localhost:7007' },
            catalog: {
              rules: [{ allow: ['Template'] }],
              locations: [
                { type: 'file', target: path.join(dir, 'template.yaml') },
              ],
            },
            sagemakerMlflow: { localRepositories: { root: repositories } },
          },
        }),
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
        catalogPlugin,
        catalogScaffolderEntityModel,
        scaffolderPlugin,
        scaffolderModule,
      ],
    }));
    const template = await waitForEntity(
      server,
      'template/default/git-config-writer',
    );
    if (template.status !== 200) {
      throw new Error('the catalog did not ingest the template');
    }
  }, 120_000);

  it('publishes the project without running the workspace .git/config and without any .git of the workspace', async () => {
    const { status, log } = await runTask(
      server,
      'template:default/git-config-writer',
      {},
    );
    // First: the command did not run, whether or not the publishing went through.
    expect(fs.existsSync(marker)).toBe(false);
    expect({ status, log }).toMatchObject({
      status: 'completed',
    });
    const repo = path.join(repositories, 'hostile');
    expect(
      fs.readFileSync(path.join(repo, '.git', 'config'), 'utf8'),
    ).not.toContain('fsmonitor');
    expect(fs.existsSync(path.join(repo, 'lib', '.git'))).toBe(false);
    expect(
      execFileSync('git', ['ls-files'], { cwd: repo })
        .toString()
        .trim()
        .split('\n')
        .sort(),
    ).toEqual(['catalog-info.yaml', 'lib/model.py']);
  }, 120_000);
});
