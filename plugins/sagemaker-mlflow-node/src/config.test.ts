import { ConfigReader } from '@backstage/config';
import { readSageMakerMlflowConfig } from './config';

describe('readSageMakerMlflowConfig', () => {
  it('reads servers, routes and limits, with the documented defaults', () => {
    const config = readSageMakerMlflowConfig(
      new ConfigReader({
        sagemakerMlflow: {
          mlflow: {
            servers: [{ name: 'default', baseUrl: 'http://mlflow:5000/' }],
          },
          endpointRoutes: [
            {
              endpointArn:
                'arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo',
              url: 'http://127.0.0.1:5002/',
            },
          ],
        },
      }),
    );
    expect(config.mlflowServers).toEqual([
      {
        name: 'default',
        baseUrl: 'http://mlflow:5000',
        uiUrl: 'http://mlflow:5000',
        auth: { type: 'none' },
      },
    ]);
    expect(config.endpointRoutes).toEqual(
      new Map([
        [
          'arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo',
          'http://127.0.0.1:5002',
        ],
      ]),
    );
    expect(config.cacheTtlSeconds).toBe(30);
    expect(config.invoke).toEqual({
      maxPayloadBytes: 6291456,
      timeoutMs: 30000,
    });
    expect(config.sagemakerEndpoint).toBeUndefined();
    expect(config.limits).toEqual({
      maxResponseBytes: 6291456,
      maxMlflowResponseBytes: 33554432,
    });
    expect(config.requireBindingForReads).toBe(false);
    expect(config.bindingInvokeCacheSeconds).toBe(30);
  });

  it('reads the invocation binding window, where 0 means the tag is read on every invocation', () => {
    const read = (invokeCacheSeconds: number) =>
      readSageMakerMlflowConfig(
        new ConfigReader({
          sagemakerMlflow: { binding: { invokeCacheSeconds } },
        }),
      ).bindingInvokeCacheSeconds;
    expect(read(5)).toBe(5);
    expect(read(0)).toBe(0);
    expect(() => read(-1)).toThrow(
      'sagemakerMlflow.binding.invokeCacheSeconds must be a number of 0 or more, got -1',
    );
  });

  it('refuses at start-up a route named by endpoint name only, which would answer for that name in every account and region', () => {
    const read = (route: object) => () =>
      readSageMakerMlflowConfig(
        new ConfigReader({ sagemakerMlflow: { endpointRoutes: [route] } }),
      );
    expect(
      read({
        endpointName: 'demo-model-staging',
        url: 'http://127.0.0.1:5002',
      }),
    ).toThrow(
      "sagemakerMlflow.endpointRoutes[] 'demo-model-staging' has no endpointArn: a route names the endpoint by its full ARN",
    );
    expect(
      read({
        endpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:model/demo',
        url: 'http://127.0.0.1:5002',
      }),
    ).toThrow(
      "sagemakerMlflow.endpointRoutes[].endpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:model/demo' names a model, expected a endpoint",
    );
  });

  it('reads the response size limit', () => {
    const config = readSageMakerMlflowConfig(
      new ConfigReader({
        sagemakerMlflow: { limits: { maxResponseBytes: 1024 } },
      }),
    );
    expect(config.limits.maxResponseBytes).toBe(1024);
  });

  it('refuses a server URL with credentials in it, which would reach browsers as its UI link', () => {
    expect(() =>
      readSageMakerMlflowConfig(
        new ConfigReader({
          sagemakerMlflow: {
            mlflow: {
              servers: [
                {
                  name: 'team',
                  baseUrl: 'https://ml:s3cret@mlflow.example.com',
                },
              ],
            },
          },
        }),
      ),
    ).toThrow(
      "sagemakerMlflow.mlflow.servers[].baseUrl of 'team' carries credentials: put them in auth (basic or bearer) instead",
    );
  });

  it('names the key of an unknown auth type', () => {
    expect(() =>
      readSageMakerMlflowConfig(
        new ConfigReader({
          sagemakerMlflow: {
            mlflow: {
              servers: [
                { name: 'x', baseUrl: 'http://m', auth: { type: 'oauth' } },
              ],
            },
          },
        }),
      ),
    ).toThrow("auth.type 'oauth' is not one of none, basic, bearer, aws-sigv4");
  });

  it('stops at start-up on a timeout, limit or breaker setting of zero or less, naming the key', () => {
    for (const [block, key] of [
      [{ requestTimeoutMs: 0 }, 'requestTimeoutMs'],
      [{ upstreamBreaker: { failures: -1 } }, 'upstreamBreaker.failures'],
      [
        { limits: { maxMlflowResponseBytes: 0 } },
        'limits.maxMlflowResponseBytes',
      ],
      [{ cache: { ttlSeconds: -5 } }, 'cache.ttlSeconds'],
    ] as const) {
      expect(() =>
        readSageMakerMlflowConfig(new ConfigReader({ sagemakerMlflow: block })),
      ).toThrow(`sagemakerMlflow.${key} must be a number above 0`);
    }
    expect(
      readSageMakerMlflowConfig(new ConfigReader({})).upstreamBreaker,
    ).toEqual({ failures: 3, coolDownMs: 30_000 });
  });
});
