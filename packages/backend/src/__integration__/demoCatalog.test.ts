import path from 'path';
import { ConfigSources } from '@backstage/config-loader';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import request from 'supertest';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import catalogPlugin from '@backstage/plugin-catalog-backend';

// The repository's own app-config.yaml, read the way the backend reads it.
async function loadAppConfig() {
  const source = ConfigSources.default({
    rootDir: path.resolve(__dirname, '../../../..'),
    argv: [],
    env: {},
  });
  return ConfigSources.toConfig(source);
}

describe('backend booted with app-config.yaml', () => {
  const cwd = process.cwd();
  // Catalog file locations in app-config.yaml are relative to packages/backend, where the backend runs.
  beforeAll(() => process.chdir(path.resolve(__dirname, '../..')));
  afterAll(() => process.chdir(cwd));

  it('serves the demo model component, owned by the demo group, from the real catalog', async () => {
    const config = await loadAppConfig();
    const { server } = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({ data: config.get() as any }),
        catalogPlugin,
        // Reading is not what this test is about; the shipped policy has its own tests.
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      ],
    });

    const demoModel =
      '/api/catalog/entities/by-name/component/default/demo-model';
    const auth = mockCredentials.user.header('user:default/guest');
    let res = await request(server).get(demoModel).set('Authorization', auth);
    // The catalog ingests its locations asynchronously after start-up.
    for (let i = 0; i < 60 && res.status === 404; i++) {
      await new Promise(r => setTimeout(r, 500));
      res = await request(server).get(demoModel).set('Authorization', auth);
    }

    expect(res.status).toBe(200);
    expect(res.body.spec.owner).toBe('group:default/ml-platform');
    expect(res.body.metadata.annotations).toMatchObject({
      'aws.amazon.com/sagemaker-pipeline-arn':
        'arn:aws:sagemaker:us-east-1:123456789012:pipeline/demo-model-pipeline',
      'mlflow.org/registered-model-name': 'demo-model',
    });

    const guest = await request(server)
      .get('/api/catalog/entities/by-name/user/default/guest')
      .set('Authorization', auth);
    expect(guest.body.spec.memberOf).toEqual(['ml-platform']);
  }, 60_000);
});
