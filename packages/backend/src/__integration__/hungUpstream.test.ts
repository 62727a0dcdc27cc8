import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import sagemakerMlflowPlugin from '@model-factory/plugin-sagemaker-mlflow-backend';
import {
  ARN,
  emulatorAwsConfig,
  fileCatalogConfig,
  testStack,
} from '../__testUtils__/stack';
import { waitForEntity } from '../__testUtils__/backendRequests';

/**
 * A hung upstream, as a process stopped with SIGSTOP looks from outside: connections are accepted and never
 * answered. Against the real emulator and MLflow behind a TCP proxy that can hang or forward on cue.
 */
const stack = testStack();
const DEADLINE_MS = 2000;
const base = '/api/sagemaker-mlflow/v1/entities/default/component/demo-model';

function switchableProxy(target: URL) {
  let hanging = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer(client => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (hanging) return; // accepted, never answered
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  return new Promise<{
    url: string;
    hang(): void;
    forward(): void;
    close(): void;
  }>(resolve =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        hang: () => {
          hanging = true;
          sockets.forEach(s => s.destroy()); // kept-alive connections too
        },
        forward: () => {
          hanging = false;
        },
        close: () => {
          sockets.forEach(s => s.destroy());
          server.close();
        },
      }),
    ),
  );
}

async function startBackend(sagemakerUrl: string, mlflowUrl: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-hung-'));
  const file = path.join(dir, 'entities.yaml');
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'demo-model',
        annotations: {
          'aws.amazon.com/sagemaker-pipeline-arn': ARN.pipeline,
          'aws.amazon.com/sagemaker-model-package-group-arn': ARN.group,
          'aws.amazon.com/sagemaker-endpoint-arns': ARN.endpoint,
          'mlflow.org/registered-model-name': 'demo-model',
          'mlflow.org/experiment-name': 'demo-model',
        },
      },
      spec: {
        type: 'ml-model',
        lifecycle: 'experimental',
        owner: 'group:default/ml-platform',
      },
    }),
  );
  const { server } = await startTestBackend({
    features: [
      mockServices.rootConfig.factory({
        data: {
          catalog: fileCatalogConfig(file, ['Component']),
          aws: emulatorAwsConfig,
          sagemakerMlflow: {
            sagemaker: { endpoint: sagemakerUrl },
            mlflow: { servers: [{ name: 'default', baseUrl: mlflowUrl }] },
            // The calls' own timeouts are far off: only the request's deadline and the breaker bound a request.
            upstreamTimeoutMs: 60_000,
            requestTimeoutMs: DEADLINE_MS,
            upstreamBreaker: { failures: 2, coolDownSeconds: 1 },
            cache: { ttlSeconds: 0.001 },
          },
        },
      }),
      // Permissions are not what this test is about.
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      catalogPlugin,
      sagemakerMlflowPlugin,
    ],
  });
  await waitForEntity(server, 'component/default/demo-model');
  return server;
}

async function timed(server: any, url: string) {
  const started = Date.now();
  const res = await request(server)
    .get(`${base}/${url}`)
    .set('Authorization', mockCredentials.user.header());
  return { res, ms: Date.now() - started };
}

describe('a hung upstream', () => {
  jest.setTimeout(60_000);

  it('SageMaker: the tab answers at the deadline with SageMaker sections failed and MLflow data, then fast while it stays hung, and recovers', async () => {
    const proxy = await switchableProxy(new URL(stack.sagemakerEndpoint));
    try {
      const server = await startBackend(proxy.url, stack.mlflowUrl);
      proxy.hang();

      const first = await timed(server, 'summary');
      expect(first.ms).toBeLessThan(DEADLINE_MS + 1500);
      expect(first.res.status).toBe(200);
      expect(first.res.body.latestExecution.error.message).toMatch(
        /^SageMaker ListPipelineExecutions: no answer within the request's 2000 ms deadline/,
      );
      // MLflow still answers: the versions are there, without their approval states.
      expect(first.res.body.latestVersion.data.version).toMatch(/^\d+$/);

      expect(first.res.body.latestExecution.error.code).toBe('timeout');

      // While it stays hung, its calls fail at once (the breaker is open): every tab route answers 200 fast, with
      // SageMaker's sections failed and MLflow's data.
      const [executions, versions, endpoints] = await Promise.all([
        timed(server, 'executions'),
        timed(server, 'model-versions'),
        timed(server, 'endpoints'),
      ]);
      for (const repeat of [executions, versions, endpoints]) {
        expect(repeat.ms).toBeLessThan(1000);
        expect(repeat.res.status).toBe(200);
      }
      expect(executions.res.body.executions.error).toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(
          /SageMaker API of us-east-1: did not answer its last \d+ calls: not called again for/,
        ),
      });
      expect(executions.res.body.runMetrics.data).toBeDefined();
      expect(versions.res.body.versions.data.items.length).toBeGreaterThan(0);
      expect(versions.res.body.modelPackages.error.code).toBe('unavailable');
      expect(endpoints.res.body.items[0].endpoint.error.code).toBe(
        'unavailable',
      );

      // Once it answers again, a probe after the cool-down closes the breaker and the data returns.
      proxy.forward();
      let recovered;
      for (let i = 0; i < 10; i++) {
        await new Promise(r => setTimeout(r, 600));
        recovered = await timed(server, 'executions');
        if (recovered.res.body.executions?.data) break;
      }
      expect(recovered!.res.body.executions.data.items.length).toBeGreaterThan(
        0,
      );
    } finally {
      proxy.close();
    }
  });

  it('MLflow: the tab answers at the deadline with SageMaker data and MLflow sections failed, then fast while it stays hung', async () => {
    const proxy = await switchableProxy(new URL(stack.mlflowUrl));
    try {
      const server = await startBackend(stack.sagemakerEndpoint, proxy.url);
      proxy.hang();

      const first = await timed(server, 'summary');
      expect(first.ms).toBeLessThan(DEADLINE_MS + 1500);
      expect(first.res.status).toBe(200);
      // SageMaker still answers: the latest execution is there; the MLflow sections failed at the deadline.
      expect(first.res.body.latestExecution.data.arn).toContain(
        'demo-model-pipeline/execution/',
      );
      expect(first.res.body.latestVersion.error.message).toMatch(
        /^MLflow server 'default': no answer within the request's 2000 ms deadline/,
      );

      // While it stays hung, every tab route answers at once (the breaker is open): executions without their
      // metrics, model packages without their versions, endpoints whole.
      const [again, versions, endpoints] = await Promise.all([
        timed(server, 'executions?pageSize=7'),
        timed(server, 'model-versions'),
        timed(server, 'endpoints'),
      ]);
      for (const repeat of [again, versions, endpoints]) {
        expect(repeat.ms).toBeLessThan(1000);
        expect(repeat.res.status).toBe(200);
      }
      expect(again.res.body.executions.data.items.length).toBeGreaterThan(0);
      expect(again.res.body.runMetrics.error).toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(
          /^MLflow server 'default': did not answer its last \d+ calls/,
        ),
      });
      expect(versions.res.body.versions.error.code).toBe('unavailable');
      expect(versions.res.body.modelPackages.data).toBeDefined();
      expect(endpoints.res.body.items[0].endpoint.data.status).toBe(
        'InService',
      );
    } finally {
      proxy.close();
    }
  });
});
