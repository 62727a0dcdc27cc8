import { startTestBackend } from '@backstage/backend-test-utils';
import request from 'supertest';
import { sagemakerMlflowPlugin } from './plugin';

describe('sagemakerMlflowPlugin', () => {
  it('serves its health route without a token', async () => {
    const { server } = await startTestBackend({
      features: [sagemakerMlflowPlugin],
    });
    await request(server)
      .get('/api/sagemaker-mlflow/health')
      .expect(200, { status: 'ok' });
  });

  it('registers the write permissions so policies and the UI can use them', async () => {
    const { server } = await startTestBackend({
      features: [sagemakerMlflowPlugin],
    });
    const res = await request(server).get(
      '/api/sagemaker-mlflow/.well-known/backstage/permissions/metadata',
    );
    expect(res.status).toBe(200);
    expect(res.body.permissions.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining([
        'sagemaker-mlflow.pipeline.execute',
        'sagemaker-mlflow.model.approve',
        'sagemaker-mlflow.endpoint.invoke',
      ]),
    );
  });
});
