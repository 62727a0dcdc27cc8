import http from 'http';
import { AddressInfo } from 'net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { ConfigReader } from '@backstage/config';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { MlflowClient } from './MlflowClient';
import {
  createRequestSigner,
  TRACKING_SERVER_ARN_HEADER,
} from './requestSigner';

const TRACKING_SERVER =
  'arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/shared';

/** A local HTTP server that records what the client sent and answers like MLflow. */
async function recordingServer() {
  const requests: Array<{
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    body: string;
  }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => (body += c));
    req.on('end', () => {
      requests.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body,
      });
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          runs: [],
          experiment: { experiment_id: '7', name: 'churn' },
        }),
      );
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  return {
    requests,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => server.close(),
  };
}

describe('MLflow request signing', () => {
  it('signs requests for managed SageMaker MLflow with SigV4 (service sagemaker-mlflow) and the server ARN header', async () => {
    const recorder = await recordingServer();
    const credentialsManager = DefaultAwsCredentialsManager.fromConfig(
      new ConfigReader({
        aws: {
          accounts: [
            {
              accountId: '123456789012',
              accessKeyId: 'AKIDEXAMPLE',
              secretAccessKey: 'secret',
            },
          ],
        },
      }),
    );
    const client = new MlflowClient({
      server: {
        name: 'managed',
        baseUrl: recorder.url,
        uiUrl: recorder.url,
        auth: { type: 'aws-sigv4', trackingServerArn: TRACKING_SERVER },
      },
      sign: createRequestSigner(
        { type: 'aws-sigv4', trackingServerArn: TRACKING_SERVER },
        credentialsManager,
      ),
      timeoutMs: 5000,
    });
    await client.searchRuns({
      experimentIds: ['7'],
      filter: "params.C = '1.0'",
    });
    recorder.close();

    const [sent] = recorder.requests;
    const authorization = String(sent.headers.authorization);
    const amzDate = String(sent.headers['x-amz-date']);
    expect(authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${amzDate.slice(
          0,
          8,
        )}/eu-west-1/sagemaker-mlflow/aws4_request, SignedHeaders=`,
      ),
    );
    expect(authorization).toContain(TRACKING_SERVER_ARN_HEADER);
    expect(sent.headers[TRACKING_SERVER_ARN_HEADER]).toBe(TRACKING_SERVER);

    // Re-sign what the server received with the same key and time: the signature covers method, path, headers and body.
    const url = new URL(sent.url, recorder.url);
    const expected = await new SignatureV4({
      service: 'sagemaker-mlflow',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      sha256: Sha256,
    }).sign(
      {
        method: sent.method,
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: {},
        headers: {
          host: String(sent.headers.host),
          'content-type': String(sent.headers['content-type']),
          [TRACKING_SERVER_ARN_HEADER]: TRACKING_SERVER,
        },
        body: sent.body,
      },
      {
        signingDate: new Date(
          `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(
            6,
            8,
          )}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(
            13,
            15,
          )}Z`,
        ),
      },
    );
    expect(authorization).toBe(expected.headers.authorization);
    expect(JSON.parse(sent.body).filter).toBe("params.C = '1.0'");
  });

  it('sends basic and bearer credentials as the Authorization header', async () => {
    const recorder = await recordingServer();
    for (const auth of [
      { type: 'basic' as const, username: 'ml', password: 'pa:ss' },
      { type: 'bearer' as const, token: 'tok-123' },
    ]) {
      const client = new MlflowClient({
        server: { name: 'x', baseUrl: recorder.url, uiUrl: recorder.url, auth },
        sign: createRequestSigner(auth),
        timeoutMs: 5000,
      });
      await client.getExperimentByName('churn');
    }
    recorder.close();
    expect(recorder.requests.map(r => r.headers.authorization)).toEqual([
      `Basic ${Buffer.from('ml:pa:ss').toString('base64')}`,
      'Bearer tok-123',
    ]);
    expect(recorder.requests[0].url).toBe(
      '/api/2.0/mlflow/experiments/get-by-name?experiment_name=churn',
    );
  });
});
