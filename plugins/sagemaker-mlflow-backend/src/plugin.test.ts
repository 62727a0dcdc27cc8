import {
  ListPipelineExecutionStepsCommand,
  ListPipelineExecutionsCommand,
  DescribePipelineExecutionCommand,
  ListPipelineParametersForExecutionCommand,
  DescribePipelineCommand,
  ListTagsCommand,
  DescribeEndpointCommand,
  SageMakerClient,
  StopPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { BINDING_TAG } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { mockClient } from 'aws-sdk-client-mock';
import request from 'supertest';
import { sagemakerMlflowPlugin } from './plugin';

// The SageMaker emulator (moto) cannot list execution steps, stop an execution or throttle. These tests stand in
// for AWS with aws-sdk-client-mock, with response shapes from the SageMaker API reference; everything else about
// the routes is tested against moto in packages/backend/src/__integration__.
const sagemaker = mockClient(SageMakerClient);

const PIPELINE = 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn';
const EXECUTION = `${PIPELINE}/execution/abc123def456`;
const ENDPOINT = 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn-prod';
const base = '/api/sagemaker-mlflow/v1/entities/default/component/churn-model';

/** What the plugin logged at error level, with the error it logged. */
const loggedErrors: Array<{ message: string; error?: any }> = [];
/** What the plugin logged at warn level (a section's upstream failure), with the error it logged. */
const loggedWarnings: Array<{ message: string; error?: any }> = [];
const recordingLogger = createServiceFactory({
  service: coreServices.logger,
  deps: {},
  factory() {
    const logger: LoggerService = {
      error: (message, error) => loggedErrors.push({ message, error }),
      warn: (message, error) => loggedWarnings.push({ message, error }),
      info: () => {},
      debug: () => {},
      child: () => logger,
    };
    return logger;
  },
});

async function startBackend() {
  const { server } = await startTestBackend({
    features: [
      sagemakerMlflowPlugin,
      recordingLogger,
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
              servers: [
                { name: 'default', baseUrl: 'http://127.0.0.1:9' },
                {
                  name: 'research',
                  baseUrl: 'http://127.0.0.1:10',
                  uiUrl: 'https://mlflow.research.example.com',
                  auth: { type: 'bearer', token: 'research-secret-token' },
                },
              ],
            },
          },
        },
      }),
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      // A request without a token is anonymous (the test default would sign it in).
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      catalogServiceMock.factory({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: 'churn-model',
              annotations: {
                'aws.amazon.com/sagemaker-pipeline-arn': PIPELINE,
              },
            },
            spec: { type: 'ml-model', owner: 'group:default/ml-platform' },
          },
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: 'timeline-model',
              annotations: {
                'aws.amazon.com/sagemaker-pipeline-arn': PIPELINE,
                'aws.amazon.com/sagemaker-endpoint-arns': ENDPOINT,
                'mlflow.org/registered-model-name': 'churn',
              },
            },
            spec: { type: 'ml-model', owner: 'group:default/ml-platform' },
          },
        ],
      }),
    ],
  });
  return server;
}

describe('sagemakerMlflowPlugin', () => {
  beforeEach(() => sagemaker.reset());

  it('serves its health route without a token', async () => {
    const server = await startBackend();
    const res = await request(server).get('/api/sagemaker-mlflow/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('lists the configured tracking servers by name and UI link, never their credentials', async () => {
    const server = await startBackend();
    await request(server)
      .get('/api/sagemaker-mlflow/v1/mlflow-servers')
      .expect(401);
    const res = await request(server)
      .get('/api/sagemaker-mlflow/v1/mlflow-servers')
      .set('Authorization', mockCredentials.user.header())
      .expect(200);
    expect(res.body).toEqual({
      items: [
        { name: 'default', uiUrl: 'http://127.0.0.1:9' },
        { name: 'research', uiUrl: 'https://mlflow.research.example.com' },
      ],
    });
    expect(JSON.stringify(res.body)).not.toContain('research-secret-token');
  });

  it('registers the write permissions so policies and the UI can use them', async () => {
    const server = await startBackend();
    const res = await request(server)
      .get('/api/sagemaker-mlflow/.well-known/backstage/permissions/metadata')
      .set('Authorization', mockCredentials.service.header());
    expect(res.body.permissions.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining([
        'sagemaker-mlflow.pipeline.execute',
        'sagemaker-mlflow.model.approve',
        'sagemaker-mlflow.endpoint.invoke',
      ]),
    );
  });

  it('serves a page with an execution it could not describe, but does not keep it: the next request describes it', async () => {
    // A throttled describe, which the emulator cannot produce on demand (the attacker's review: a reader's fan-outs
    // could otherwise leave the owner's page cached without end times for the whole TTL).
    sagemaker.on(ListPipelineExecutionsCommand).resolves({
      PipelineExecutionSummaries: [
        {
          PipelineExecutionArn: EXECUTION,
          PipelineExecutionStatus: 'Failed',
          StartTime: new Date('2026-11-01T10:00:00Z'),
        },
      ],
    });
    sagemaker
      .on(DescribePipelineExecutionCommand)
      .rejectsOnce(
        Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .resolves({
        PipelineExecutionArn: EXECUTION,
        CreationTime: new Date('2026-11-01T10:00:00Z'),
        LastModifiedTime: new Date('2026-11-01T10:20:00Z'),
        CreatedBy: { UserProfileName: 'alice' },
      });
    sagemaker.on(ListTagsCommand).resolves({ Tags: [] });
    const server = await startBackend();
    const page = () =>
      request(server)
        .get(`${base}/executions`)
        .set('Authorization', mockCredentials.user.header());
    const first = await page();
    expect(first.body.executions.data.items[0].startedBy).toBeUndefined();
    const second = await page();
    expect(second.body.executions.data.items[0]).toMatchObject({
      startedBy: 'alice',
      durationMs: 20 * 60_000,
    });
    expect(
      sagemaker.commandCalls(DescribePipelineExecutionCommand),
    ).toHaveLength(2);
  });

  it('shows the steps of an execution: status, times, failure, cache hit, job link', async () => {
    sagemaker.on(DescribePipelineExecutionCommand).resolves({
      PipelineExecutionArn: EXECUTION,
      PipelineExecutionStatus: 'Failed',
      FailureReason: 'Step Train failed',
      CreationTime: new Date('2026-11-01T10:00:00Z'),
      LastModifiedTime: new Date('2026-11-01T10:20:00Z'),
      CreatedBy: { UserProfileName: 'alice' },
    });
    sagemaker.on(ListPipelineParametersForExecutionCommand).resolves({
      PipelineParameters: [{ Name: 'GateThreshold', Value: '0.9' }],
    });
    sagemaker.on(DescribePipelineCommand).resolves({
      PipelineDefinition: JSON.stringify({
        Steps: [
          { Name: 'Preprocess', Type: 'Processing' },
          { Name: 'Train', Type: 'Training', DependsOn: ['Preprocess'] },
        ],
      }),
    });
    sagemaker.on(ListPipelineExecutionStepsCommand).resolves({
      PipelineExecutionSteps: [
        {
          StepName: 'Preprocess',
          StepStatus: 'Succeeded',
          StartTime: new Date('2026-11-01T10:00:00Z'),
          EndTime: new Date('2026-11-01T10:05:00Z'),
          CacheHitResult: {
            SourcePipelineExecutionArn: `${PIPELINE}/execution/older`,
          },
          Metadata: {
            ProcessingJob: {
              Arn: 'arn:aws:sagemaker:eu-west-1:123456789012:processing-job/pre-1',
            },
          },
        },
        {
          StepName: 'Train',
          StepStatus: 'Failed',
          FailureReason: 'AlgorithmError: out of memory',
          Metadata: {
            TrainingJob: {
              Arn: 'arn:aws:sagemaker:eu-west-1:123456789012:training-job/train-1',
            },
          },
        },
      ],
    });
    const server = await startBackend();
    const res = await request(server)
      .get(`${base}/executions/abc123def456`)
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body.execution).toMatchObject({
      status: 'Failed',
      failureReason: 'Step Train failed',
      startedBy: 'alice',
      durationMs: 20 * 60_000,
      parameters: { GateThreshold: '0.9' },
    });
    expect(res.body.steps.data).toEqual([
      expect.objectContaining({
        name: 'Preprocess',
        status: 'Succeeded',
        cacheHit: true,
        consoleUrl: expect.stringContaining('#/processing-jobs/pre-1'),
      }),
      expect.objectContaining({
        name: 'Train',
        status: 'Failed',
        failureReason: 'AlgorithmError: out of memory',
        cacheHit: false,
        consoleUrl: expect.stringContaining('#/jobs/train-1'),
      }),
    ]);
    expect(res.body.definition.data).toEqual([
      { name: 'Preprocess', type: 'Processing', dependsOn: [] },
      { name: 'Train', type: 'Training', dependsOn: ['Preprocess'] },
    ]);
    // This entity names no experiment: the MLflow section says which annotation is missing.
    expect(res.body.mlflowRuns.error.annotation).toBe(
      'mlflow.org/experiment-name',
    );
  });

  it('stops an execution of the entity’s own pipeline', async () => {
    sagemaker
      .on(StopPipelineExecutionCommand)
      .resolves({ PipelineExecutionArn: EXECUTION });
    sagemaker
      .on(DescribePipelineExecutionCommand)
      .resolves({ PipelineExecutionStatus: 'Executing' });
    // The pipeline names the entity back (its binding tag), as the security integration test checks for real.
    sagemaker.on(ListTagsCommand).resolves({
      Tags: [{ Key: BINDING_TAG, Value: 'component:default/churn-model' }],
    });
    const server = await startBackend();
    const res = await request(server)
      .post(`${base}/executions/abc123def456/stop`)
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ executionArn: EXECUTION });
    expect(
      sagemaker.commandCalls(StopPipelineExecutionCommand)[0].args[0].input
        .PipelineExecutionArn,
    ).toBe(EXECUTION);
  });

  it("makes throttling of a read that section's error with when to retry, and of a write a 503 with Retry-After", async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    sagemaker.on(ListPipelineExecutionsCommand).rejects(throttled);
    sagemaker.on(StopPipelineExecutionCommand).rejects(throttled);
    sagemaker
      .on(DescribePipelineExecutionCommand)
      .resolves({ PipelineExecutionStatus: 'Executing' });
    sagemaker.on(ListTagsCommand).resolves({
      Tags: [{ Key: BINDING_TAG, Value: 'component:default/churn-model' }],
    });
    const server = await startBackend();
    const read = await request(server)
      .get(`${base}/executions`)
      .set('Authorization', mockCredentials.user.header());
    expect(read.status).toBe(200);
    expect(read.body.executions.error).toMatchObject({
      code: 'throttled',
      retryAfterSeconds: 5,
      message: expect.stringContaining('throttling'),
    });
    const write = await request(server)
      .post(`${base}/executions/${EXECUTION.split('/').pop()}/stop`)
      .set('Authorization', mockCredentials.user.header());
    expect(write.status).toBe(503);
    expect(write.headers['retry-after']).toBe('5');
    expect(write.body.error.message).toContain('throttling');
  });

  it('answers an upstream token SageMaker refuses with 400 naming the pageToken, not as a failed section', async () => {
    // AWS refuses a NextToken it never issued (ValidationException); the emulator ignores one for this call, so
    // only this stand-in can refuse it.
    sagemaker.on(ListPipelineExecutionsCommand).rejects(
      Object.assign(new Error('Invalid pagination token: forged'), {
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    sagemaker.on(ListTagsCommand).resolves({ Tags: [] });
    const server = await startBackend();
    const forged = Buffer.from(
      JSON.stringify({ upstream: 'forged', skip: 0 }),
    ).toString('base64url');
    const res = await request(server)
      .get(`${base}/executions?pageToken=${forged}`)
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'pageToken is not a token this API returned',
    );
  });

  it('refuses to stop an execution that is not running with a 409, before asking SageMaker to stop it', async () => {
    sagemaker
      .on(DescribePipelineExecutionCommand)
      .resolves({ PipelineExecutionStatus: 'Succeeded' });
    sagemaker.on(ListTagsCommand).resolves({
      Tags: [{ Key: BINDING_TAG, Value: 'component:default/churn-model' }],
    });
    const server = await startBackend();
    const res = await request(server)
      .post(`${base}/executions/${EXECUTION.split('/').pop()}/stop`)
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain(
      'is Succeeded: only an executing one can be stopped',
    );
    expect(sagemaker.commandCalls(StopPipelineExecutionCommand)).toHaveLength(
      0,
    );
  });

  it("answers an AWS access-denied with the refused call only; the message naming the portal's role goes to the log", async () => {
    const denied =
      'User: arn:aws:sts::123456789012:assumed-role/BackstagePortalRole/i-0abc is not authorized to perform: ' +
      `sagemaker:ListPipelineExecutions on resource: ${PIPELINE} because no identity-based policy allows it`;
    // An AWS refusal, which the emulator cannot give.
    sagemaker.on(ListPipelineExecutionsCommand).rejects(
      Object.assign(new Error(denied), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    loggedWarnings.length = 0;
    const server = await startBackend();
    const res = await request(server)
      .get(`${base}/executions`)
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body.executions.error).toMatchObject({
      code: 'access-denied',
      message: `SageMaker ListPipelineExecutions: the portal's AWS role may not call sagemaker:ListPipelineExecutions on ${PIPELINE}`,
      fix: expect.stringContaining('allow sagemaker:ListPipelineExecutions'),
    });
    expect(JSON.stringify(res.body)).not.toContain('BackstagePortalRole');
    const logged = loggedWarnings.find(e =>
      e.message.includes('ListPipelineExecutions'),
    );
    expect(logged?.error.cause.message).toBe(denied);
  });

  it("keeps a version timeline's SageMaker stages when MLflow is down: the MLflow stages say so", async () => {
    // The configured MLflow server (port 9) does not answer; SageMaker's deployment strategy is not in the emulator.
    sagemaker.on(DescribeEndpointCommand).resolves({
      EndpointName: 'churn-prod',
      EndpointArn: ENDPOINT,
      EndpointConfigName: 'churn-prod-v7',
      EndpointStatus: 'InService',
      CreationTime: new Date('2026-01-01T00:00:00Z'),
      LastModifiedTime: new Date('2026-11-02T08:00:00Z'),
      LastDeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            WaitIntervalInSeconds: 300,
          },
        },
      },
    });
    sagemaker.on(ListTagsCommand).resolves({
      Tags: [
        { Key: 'mlflow.registered_model_name', Value: 'churn' },
        { Key: 'mlflow.model_version', Value: '7' },
      ],
    });
    const server = await startBackend();
    const timeline = `/api/sagemaker-mlflow/v1/entities/default/component/timeline-model/model-versions`;
    const res = await request(server)
      .get(`${timeline}/7/timeline`)
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    const stages: any[] = res.body.stages;
    expect(stages.filter(s => s.kind !== 'deployment')).toEqual(
      stages
        .filter(s => s.kind !== 'deployment')
        .map(s =>
          expect.objectContaining({
            kind: s.kind,
            status: 'unavailable',
            error: expect.objectContaining({ code: 'unavailable' }),
          }),
        ),
    );
    expect(stages.find(s => s.kind === 'deployment')).toMatchObject({
      title: 'Deployment to churn-prod',
      status: 'succeeded',
      time: '2026-11-02T08:00:00.000Z',
      url: 'https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/endpoints/churn-prod',
      details: expect.arrayContaining([
        { label: 'endpoint config', value: 'churn-prod-v7' },
        { label: 'deployment strategy', value: 'blue/green, canary' },
      ]),
    });
    // Another version than the endpoint serves: it says what the endpoint serves instead.
    const other = await request(server)
      .get(`${timeline}/6/timeline`)
      .set('Authorization', mockCredentials.user.header());
    expect(
      other.body.stages.find((s: any) => s.kind === 'deployment'),
    ).toMatchObject({
      status: 'not-recorded',
      message: expect.stringContaining(
        'churn-prod serves version 7, not this one',
      ),
    });
  });

  it('answers a timeline of a version that is not a number with 400 naming the parameter', async () => {
    const server = await startBackend();
    const res = await request(server)
      .get(
        `/api/sagemaker-mlflow/v1/entities/default/component/timeline-model/model-versions/v7/timeline`,
      )
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('request/params/version');
  });
});
