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

    const auth = mockCredentials.user.header('user:default/guest');
    // The catalog ingests its locations asynchronously after start-up, each file on its own.
    const ingested = async (url: string) => {
      let res = await request(server).get(url).set('Authorization', auth);
      for (let i = 0; i < 60 && res.status === 404; i++) {
        await new Promise(r => setTimeout(r, 500));
        res = await request(server).get(url).set('Authorization', auth);
      }
      return res;
    };

    const res = await ingested(
      '/api/catalog/entities/by-name/component/default/demo-model',
    );
    expect(res.status).toBe(200);
    expect(res.body.spec.owner).toBe('group:default/ml-platform');
    expect(res.body.metadata.annotations).toMatchObject({
      'aws.amazon.com/sagemaker-pipeline-arn':
        'arn:aws:sagemaker:us-east-1:123456789012:pipeline/demo-model-pipeline',
      'mlflow.org/registered-model-name': 'demo-model',
    });

    const guest = await ingested(
      '/api/catalog/entities/by-name/user/default/guest',
    );
    expect(guest.status).toBe(200);
    expect(guest.body.spec.memberOf).toEqual(['ml-platform']);
  }, 60_000);
});
