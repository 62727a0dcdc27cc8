import http from 'node:http';
import { AddressInfo } from 'node:net';
import { ConfigReader } from '@backstage/config';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import {
  parseSageMakerArn,
  SageMakerClients,
  withRequestDeadline,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { allParameters, allSteps } from './executionListings';

const PIPELINE = parseSageMakerArn(
  'arn:aws:sagemaker:us-east-1:123456789012:pipeline/p',
  'pipeline',
);
const EXECUTION = `${PIPELINE.arn}/execution/abc123`;

/**
 * A real HTTP server answering SageMaker's JSON protocol with pages of `pages` steps and parameters (the emulator has
 * no ListPipelineExecutionSteps, and paginates neither list), each after `delayMs`. It records every request body.
 */
async function pagingSageMaker(pages: number, delayMs = 0) {
  const requests: Array<{ target: string; body: any }> = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', chunk => (text += chunk));
    req.on('end', () => {
      const body = JSON.parse(text);
      const target = String(req.headers['x-amz-target']).split('.')[1];
      requests.push({ target, body });
      const page = body.NextToken ? Number(body.NextToken) : 0;
      const items = Array.from({ length: 2 }, (_, i) => `item-${page}-${i}`);
      const answer =
        target === 'ListPipelineExecutionSteps'
          ? {
              PipelineExecutionSteps: items.map(StepName => ({
                StepName,
                StepStatus: 'Succeeded',
              })),
            }
          : {
              PipelineParameters: items.map(Name => ({ Name, Value: Name })),
            };
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({
            ...answer,
            ...(page + 1 < pages ? { NextToken: String(page + 1) } : {}),
          }),
        );
      }, delayMs);
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const clients = new SageMakerClients({
    credentialsManager: DefaultAwsCredentialsManager.fromConfig(
      new ConfigReader({
        aws: {
          accounts: [
            {
              accountId: '123456789012',
              accessKeyId: 'test',
              secretAccessKey: 'test',
            },
          ],
        },
      }),
    ),
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    timeoutMs: 5000,
    invokeTimeoutMs: 5000,
    maxAttempts: 1,
  });
  return {
    client: await clients.sagemaker(PIPELINE),
    requests,
    close: () => new Promise(r => server.close(r)),
  };
}

describe('execution steps and parameters, every page', () => {
  it('reads every page of steps and parameters, asking for 100 at a time', async () => {
    const sm = await pagingSageMaker(3);
    try {
      const steps = await allSteps(sm.client, EXECUTION);
      const parameters = await allParameters(sm.client, EXECUTION);
      expect(steps.map(s => s.StepName)).toEqual([
        'item-0-0',
        'item-0-1',
        'item-1-0',
        'item-1-1',
        'item-2-0',
        'item-2-1',
      ]);
      expect(parameters).toHaveLength(6);
      expect(sm.requests.map(r => r.body)).toEqual([
        ...[undefined, '1', '2'].map(NextToken => ({
          PipelineExecutionArn: EXECUTION,
          SortOrder: 'Ascending',
          MaxResults: 100,
          ...(NextToken ? { NextToken } : {}),
        })),
        ...[undefined, '1', '2'].map(NextToken => ({
          PipelineExecutionArn: EXECUTION,
          MaxResults: 100,
          ...(NextToken ? { NextToken } : {}),
        })),
      ]);
    } finally {
      await sm.close();
    }
  });

  it('stops at the page cap with an error rather than a list cut short', async () => {
    const sm = await pagingSageMaker(1000);
    try {
      const error = await allSteps(sm.client, EXECUTION, 4).catch(e => e);
      expect(error).toMatchObject({
        name: 'UpstreamError',
        message:
          'SageMaker ListPipelineExecutionSteps: more than 4 pages of 100; stopped reading',
      });
      expect(sm.requests).toHaveLength(5);
    } finally {
      await sm.close();
    }
  });

  it("stops reading pages at the request's deadline", async () => {
    const sm = await pagingSageMaker(1000, 100);
    try {
      const started = performance.now();
      const error = await withRequestDeadline(450, () =>
        allParameters(sm.client, EXECUTION, 1000).catch(e => e),
      );
      expect(error).toMatchObject({ code: 'timeout' });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(sm.requests.length).toBeLessThanOrEqual(5);
    } finally {
      await sm.close();
    }
  });
});
