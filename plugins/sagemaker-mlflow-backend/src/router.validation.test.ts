import {
  DescribePipelineCommand,
  ListPipelineExecutionsCommand,
  ListTagsCommand,
  SageMakerClient,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { BINDING_TAG } from '@model-factory/plugin-sagemaker-mlflow-common';
import { mockClient } from 'aws-sdk-client-mock';
import request from 'supertest';
import { sagemakerMlflowPlugin } from './plugin';

// The router validates every request against openapi.yaml before a handler runs. SageMaker is mocked (as in
// plugin.test.ts) only for the requests the spec accepts, to show they reach it intact.
const sagemaker = mockClient(SageMakerClient);

const PIPELINE = 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn';
const base = '/api/sagemaker-mlflow/v1/entities/default/component/churn-model';

let server: Awaited<ReturnType<typeof startTestBackend>>['server'];

beforeAll(async () => {
  ({ server } = await startTestBackend({
    features: [
      sagemakerMlflowPlugin,
      mockServices.rootConfig.factory({
        data: {
          aws: {
            accounts: [
              {
                accountId: '123456789012',
                accessKeyId: 'k',
                secretAccessKey: 's',
              },
            ],
          },
          sagemakerMlflow: {
            mlflow: {
              servers: [{ name: 'default', baseUrl: 'http://127.0.0.1:9' }],
            },
          },
        },
      }),
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      catalogServiceMock.factory({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: 'churn-model',
              annotations: {
                'aws.amazon.com/sagemaker-pipeline-arn': PIPELINE,
                'mlflow.org/registered-model': 'churn-model',
              },
            },
            spec: { type: 'ml-model', owner: 'group:default/ml-platform' },
          },
        ],
      }),
    ],
  }));
});

beforeEach(() => {
  sagemaker.reset();
  sagemaker.on(ListTagsCommand).resolves({
    Tags: [{ Key: BINDING_TAG, Value: 'component:default/churn-model' }],
  });
  sagemaker
    .on(ListPipelineExecutionsCommand)
    .resolves({ PipelineExecutionSummaries: [] });
  sagemaker.on(DescribePipelineCommand).resolves({
    PipelineDefinition: JSON.stringify({
      Parameters: [{ Name: 'GateThreshold', Type: 'Float' }],
      Steps: [],
    }),
  });
  sagemaker
    .on(StartPipelineExecutionCommand)
    .resolves({ PipelineExecutionArn: `${PIPELINE}/execution/new1` });
});

const get = (path: string) =>
  request(server)
    .get(`${base}/${path}`)
    .set('Authorization', mockCredentials.user.header());
const post = (path: string) =>
  request(server)
    .post(`${base}/${path}`)
    .set('Authorization', mockCredentials.user.header());

/** The refusal's message, once it is known to be a 400 for bad input that sent no write to SageMaker. */
function refusal(res: request.Response): string {
  expect(res.status).toBe(400);
  expect(res.body.error.name).toBe('InputError');
  expect(sagemaker.commandCalls(StartPipelineExecutionCommand)).toHaveLength(0);
  return res.body.error.message;
}

describe('the router refuses what openapi.yaml refuses, with 400 and what to fix', () => {
  it('an unknown body field, named with the fields allowed', async () => {
    expect(
      refusal(
        await post('executions').send({ pipelineArn: 'arn:other', x: 1 }),
      ),
    ).toContain('pipelineArn, x (allowed: displayName, parameters)');
    expect(
      refusal(
        await post('model-versions/3/approval').send({
          status: 'Approved',
          approver: 'me',
        }),
      ),
    ).toContain('approver (allowed: status, comment)');
  });

  it('a value outside an enum, with the allowed values', async () => {
    const message = refusal(
      await post('model-versions/3/approval').send({ status: 'Maybe' }),
    );
    expect(message).toContain('request/body/status');
    expect(message).toContain('Approved, Rejected');
    expect(refusal(await post('model-versions/3/approval').send({}))).toContain(
      "must have required property 'status'",
    );
  });

  it('an approval without a body, saying what it needs', async () => {
    expect(refusal(await post('model-versions/3/approval'))).toContain(
      'needs a JSON body (Content-Type: application/json)',
    );
  });

  it('a value of the wrong type or over its limits', async () => {
    expect(
      refusal(
        await post('executions').send({ parameters: { GateThreshold: 0.9 } }),
      ),
    ).toContain('request/body/parameters/GateThreshold must be string');
    expect(
      refusal(await post('executions').send({ parameters: ['GateThreshold'] })),
    ).toContain('request/body/parameters must be object');
    expect(
      refusal(
        await post('executions').send({
          parameters: { GateThreshold: 'x'.repeat(1025) },
        }),
      ),
    ).toContain('must NOT have more than 1024 characters');
    expect(
      refusal(
        await post('executions').send({
          parameters: { ['k'.repeat(257)]: '1' },
        }),
      ),
    ).toContain('request/body/parameters property name must be valid');
    expect(
      refusal(await post('executions').send({ displayName: 'not a name!' })),
    ).toContain('request/body/displayName must match pattern');
    expect(
      refusal(
        await post('model-versions/3/approval').send({
          status: 'Approved',
          comment: 'x'.repeat(1025),
        }),
      ),
    ).toContain('request/body/comment');
  });

  it('a page size outside 1..200, a page token over 4096 characters, an unknown query parameter', async () => {
    expect(refusal(await get('executions?pageSize=0'))).toContain(
      'request/query/pageSize must be >= 1',
    );
    expect(refusal(await get('model-versions?pageSize=201'))).toContain(
      'request/query/pageSize must be <= 200',
    );
    expect(refusal(await get('executions?pageSize=ten'))).toContain(
      'request/query/pageSize must be integer',
    );
    expect(
      refusal(await get(`executions?pageToken=${'a'.repeat(4097)}`)),
    ).toContain('request/query/pageToken');
    expect(refusal(await get('executions?page=2'))).toContain(
      "Unknown query parameter 'page'",
    );
  });

  it('a path parameter that does not match its pattern', async () => {
    expect(refusal(await get('executions/NOT-AN-ID'))).toContain(
      'request/params/id',
    );
    expect(
      refusal(
        await post('model-versions/latest/approval').send({
          status: 'Approved',
        }),
      ),
    ).toContain('request/params/version');
  });
});

describe('what openapi.yaml accepts reaches the handler intact', () => {
  it('a page size, or the default of 20, as a number', async () => {
    expect((await get('executions?pageSize=200')).status).toBe(200);
    expect((await get('executions')).status).toBe(200);
    expect(
      sagemaker
        .commandCalls(ListPipelineExecutionsCommand)
        .map(call => call.args[0].input.MaxResults),
    ).toEqual([100, 20]);
  });

  it('a start with a body, and one without a body or a Content-Type', async () => {
    const res = await post('executions').send({
      displayName: 'from-test',
      parameters: { GateThreshold: '0.9' },
    });
    expect(res.status).toBe(201);
    expect((await post('executions')).status).toBe(201);
    expect(
      sagemaker
        .commandCalls(StartPipelineExecutionCommand)
        .map(call => call.args[0].input),
    ).toEqual([
      expect.objectContaining({
        PipelineExecutionDisplayName: 'from-test',
        PipelineParameters: [{ Name: 'GateThreshold', Value: '0.9' }],
      }),
      expect.objectContaining({ PipelineParameters: [] }),
    ]);
  });

  it('keeps 415 for a body that is not JSON and 413 for one over the limit', async () => {
    const text = await post('executions')
      .set('Content-Type', 'text/plain')
      .send('{"displayName":"x"}');
    expect(text.status).toBe(415);
    expect(text.body.error.message).toContain('application/json');
    const big = await post('model-versions/3/approval').send({
      status: 'Approved',
      comment: 'x'.repeat(17 * 1024),
    });
    expect(big.status).toBe(413);
  });
});
