import type { Entity } from '@backstage/catalog-model';
import {
  entityNames,
  MAX_RESOURCES_PER_EVENT,
  resourcesOfEvent,
} from './sagemakerEvents';

const PREFIX = 'arn:aws:sagemaker:us-east-1:123456789012';

describe('resourcesOfEvent', () => {
  it("names an execution's pipeline (AWS's example shape: resources and detail)", () => {
    expect(
      resourcesOfEvent({
        'detail-type':
          'SageMaker Model Building Pipeline Execution Status Change',
        source: 'aws.sagemaker',
        account: '123456789012',
        region: 'us-east-1',
        resources: [
          `${PREFIX}:pipeline/demo-model-pipeline`,
          `${PREFIX}:pipeline/demo-model-pipeline/execution/abc123`,
        ],
        detail: {
          pipelineArn: `${PREFIX}:pipeline/demo-model-pipeline`,
          currentPipelineExecutionStatus: 'Failed',
        },
      }),
    ).toEqual([
      {
        annotation: 'aws.amazon.com/sagemaker-pipeline-arn',
        arn: `${PREFIX}:pipeline/demo-model-pipeline`,
      },
    ]);
  });

  it("names a package's group, also by group name in the event's account and region", () => {
    const group = {
      annotation: 'aws.amazon.com/sagemaker-model-package-group-arn',
      arn: `${PREFIX}:model-package-group/demo-model`,
    };
    expect(
      resourcesOfEvent({
        'detail-type': 'SageMaker Model Package State Change',
        resources: [`${PREFIX}:model-package/demo-model/3`],
      }),
    ).toEqual([group]);
    expect(
      resourcesOfEvent({
        'detail-type': 'SageMaker Model Package State Change',
        account: '123456789012',
        region: 'us-east-1',
        detail: { ModelPackageGroupName: 'demo-model' },
      }),
    ).toEqual([group]);
  });

  it('names an endpoint by ARN or by name', () => {
    expect(
      resourcesOfEvent({
        'detail-type': 'SageMaker Endpoint Deployment State Change',
        account: '123456789012',
        region: 'us-east-1',
        detail: { EndpointName: 'demo-model-staging' },
      }),
    ).toEqual([
      {
        annotation: 'aws.amazon.com/sagemaker-endpoint-arns',
        arn: `${PREFIX}:endpoint/demo-model-staging`,
      },
    ]);
  });

  it('names nothing for other events, other services or malformed bodies', () => {
    expect(
      resourcesOfEvent({
        'detail-type': 'SageMaker Training Job State Change',
        resources: [`${PREFIX}:training-job/x`],
      }),
    ).toEqual([]);
    expect(
      resourcesOfEvent({
        'detail-type': 'SageMaker Model Package State Change',
        resources: ['arn:aws:s3:::bucket/key', 42, null],
      }),
    ).toEqual([]);
    expect(resourcesOfEvent('not an event')).toEqual([]);
    expect(resourcesOfEvent(null)).toEqual([]);
  });
});

describe('entityNames', () => {
  const entity: Entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'demo-model',
      annotations: {
        'aws.amazon.com/sagemaker-endpoint-arns': `${PREFIX}:endpoint/staging, ${PREFIX}:endpoint/prod`,
      },
    },
  };

  it('looks at no more than a few resources of one event (a forged post naming hundreds costs a few reads)', () => {
    const resources = Array.from(
      { length: 500 },
      (_, i) => `arn:aws:sagemaker:us-east-1:123456789012:pipeline/p${i}`,
    );
    const named = resourcesOfEvent({
      'detail-type':
        'SageMaker Model Building Pipeline Execution Status Change',
      source: 'aws.sagemaker',
      resources,
      detail: {},
    });
    expect(named).toHaveLength(MAX_RESOURCES_PER_EVENT);
  });

  it('matches one endpoint of the annotated list, and no other', () => {
    const endpoint = (name: string) => ({
      annotation: 'aws.amazon.com/sagemaker-endpoint-arns' as const,
      arn: `${PREFIX}:endpoint/${name}`,
    });
    expect(entityNames(entity, endpoint('prod'))).toBe(true);
    expect(entityNames(entity, endpoint('pro'))).toBe(false);
    expect(
      entityNames(entity, {
        annotation: 'aws.amazon.com/sagemaker-pipeline-arn',
        arn: `${PREFIX}:pipeline/prod`,
      }),
    ).toBe(false);
  });
});
