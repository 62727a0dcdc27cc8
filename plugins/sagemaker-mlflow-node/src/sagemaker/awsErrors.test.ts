import {
  DescribeEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { serializeError } from '@backstage/errors';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { awsCall } from './awsErrors';

const ROLE =
  'arn:aws:sts::123456789012:assumed-role/BackstageModelFactory/i-0abc';
const ENDPOINT =
  'arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo-model-staging';

/**
 * A real HTTP server answering every call with one AWS JSON-protocol error, the way SageMaker does (status,
 * x-amzn-ErrorType, `{ __type, message }`): the real SDK parses it into its own exception. Nothing else here can
 * make AWS refuse the portal's role.
 */
async function refusingSageMaker(
  status: number,
  type: string,
  message: string,
) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': type,
      });
      res.end(JSON.stringify({ __type: type, message }));
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const client = new SageMakerClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    describe: () =>
      awsCall('SageMaker DescribeEndpoint', () =>
        client.send(
          new DescribeEndpointCommand({ EndpointName: 'demo-model-staging' }),
        ),
      ),
    close: () => new Promise(r => server.close(r)),
  };
}

async function refusal(status: number, type: string, message: string) {
  const sagemaker = await refusingSageMaker(status, type, message);
  try {
    return await sagemaker.describe().then(
      () => {
        throw new Error('the call succeeded');
      },
      error => error,
    );
  } finally {
    await sagemaker.close();
  }
}

describe('an AWS access-denied answer', () => {
  const awsMessage = `User: ${ROLE} is not authorized to perform: sagemaker:DescribeEndpoint on resource: ${ENDPOINT} because no identity-based policy allows the sagemaker:DescribeEndpoint action`;

  it('says which operation on which resource was refused, without the role that was refused', async () => {
    const error = await refusal(400, 'AccessDeniedException', awsMessage);
    expect(error.name).toBe('UpstreamError');
    expect(error.message).toBe(
      `SageMaker DescribeEndpoint: the portal's AWS role may not call sagemaker:DescribeEndpoint on ${ENDPOINT}`,
    );
    // What Backstage's error handler would send (serializeError) holds nothing of AWS's own text either.
    expect(JSON.stringify(serializeError(error))).not.toContain('assumed-role');
    expect(JSON.stringify(error)).not.toContain('assumed-role');
  });

  it("keeps AWS's full text on the error's cause, for the log", async () => {
    const error = await refusal(400, 'AccessDeniedException', awsMessage);
    expect(error.cause).toEqual({
      name: 'AccessDeniedException',
      message: awsMessage,
    });
    expect(Object.keys(error)).not.toContain('cause');
  });

  it('names no IAM role the portal failed to assume', async () => {
    const error = await refusal(
      403,
      'AccessDenied',
      `User: ${ROLE} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/BackstageModelFactoryReadOnly`,
    );
    expect(error.message).toBe(
      "SageMaker DescribeEndpoint: the portal's AWS role may not call sts:AssumeRole",
    );
  });

  it('falls back to the operation of the call for a refusal in other words, or any 403', async () => {
    for (const [status, type] of [
      [400, 'UnauthorizedOperation'],
      [403, 'SomethingNew'],
    ] as const) {
      const error = await refusal(
        status,
        type,
        `You are not authorized to perform this operation. Encoded authorization failure message: ${ROLE}`,
      );
      expect(error.message).toBe(
        "SageMaker DescribeEndpoint: the portal's AWS role may not call DescribeEndpoint",
      );
    }
  });
});
