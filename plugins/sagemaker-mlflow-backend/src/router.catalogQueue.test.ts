import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import request from 'supertest';
import { sagemakerMlflowPlugin } from './plugin';

const DEADLINE_MS = 500;
const entities = '/api/sagemaker-mlflow/v1/entities/default/component';

// A catalog that never answers for some entities: what no local catalog does on demand (a mock, for that reason).
const hangingCatalog = createServiceFactory({
  service: catalogServiceRef,
  deps: {},
  factory: () =>
    ({
      getEntityByRef: async (ref: string) =>
        ref.includes('hung')
          ? new Promise(() => {})
          : {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: { name: 'plain-model', namespace: 'default' },
              spec: {},
            },
    } as any),
});

describe('the catalog read queue', () => {
  it('does not let reads the catalog never answers hold other requests past the deadline', async () => {
    const { server } = await startTestBackend({
      features: [
        sagemakerMlflowPlugin,
        hangingCatalog,
        mockServices.rootConfig.factory({
          data: { sagemakerMlflow: { requestTimeoutMs: DEADLINE_MS } },
        }),
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      ],
    });
    const get = (name: string) =>
      request(server)
        .get(`${entities}/${name}/summary`)
        .set('Authorization', mockCredentials.user.header());

    // More hung reads than the queue has connections, then a request for an entity the catalog answers.
    const started = Date.now();
    const hung = Array.from({ length: 20 }, (_, i) => get(`hung-${i}`));
    const plain = get('plain-model');
    const answers = await Promise.all([...hung, plain]);
    for (const res of answers.slice(0, 20)) {
      expect(res.status).toBe(503);
      expect(res.body.error.message).toContain('The catalog did not answer');
    }
    expect(Date.now() - started).toBeLessThan(3 * DEADLINE_MS + 1000);
    // Its turn came only after the hung reads gave up; it is not left waiting for them for ever.
    expect([200, 503]).toContain(answers[20].status);
    const later = await get('plain-model');
    expect(later.status).toBe(200);
  });
});
