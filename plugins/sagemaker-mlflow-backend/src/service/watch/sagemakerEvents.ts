import type { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_ENDPOINT_ARNS,
  ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  ANNOTATION_PIPELINE_ARN,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { readEntityBinding } from '@model-factory/plugin-sagemaker-mlflow-node';

/** The EventBridge events (source `aws.sagemaker`) that may change what the watcher notifies. */
export const SAGEMAKER_DETAIL_TYPES = [
  'SageMaker Model Building Pipeline Execution Status Change',
  'SageMaker Model Package State Change',
  'SageMaker Endpoint Deployment State Change',
  'SageMaker Endpoint State Change',
] as const;

/** A SageMaker resource an event names, as the annotation that would name it. */
export interface NamedResource {
  annotation:
    | typeof ANNOTATION_PIPELINE_ARN
    | typeof ANNOTATION_MODEL_PACKAGE_GROUP_ARN
    | typeof ANNOTATION_ENDPOINT_ARNS;
  arn: string;
}

const ARN =
  /^arn:(aws|aws-cn|aws-us-gov):sagemaker:([a-z0-9-]+):(\d{12}):([a-z-]+)\/([A-Za-z0-9][A-Za-z0-9-]{0,62})(?:\/.*)?$/;

/** The annotated resource an ARN belongs to: an execution's pipeline, a package's group, an endpoint. */
function resourceOf(arn: string): NamedResource | undefined {
  const m = ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, region, account, type, name] = m;
  const prefix = `arn:${partition}:sagemaker:${region}:${account}`;
  switch (type) {
    case 'pipeline':
      return {
        annotation: ANNOTATION_PIPELINE_ARN,
        arn: `${prefix}:pipeline/${name}`,
      };
    case 'model-package':
    case 'model-package-group':
      return {
        annotation: ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
        arn: `${prefix}:model-package-group/${name}`,
      };
    case 'endpoint':
      return {
        annotation: ANNOTATION_ENDPOINT_ARNS,
        arn: `${prefix}:endpoint/${name}`,
      };
    default:
      return undefined;
  }
}

/** At most this many resources of one event are looked at. */
export const MAX_RESOURCES_PER_EVENT = 4;

/**
 * The resources an EventBridge-shaped SageMaker event names (its `resources`, and the ARNs and names in its
 * detail), or none for any other event. Only which resources: what the event says of their state is not read,
 * since anyone who can post to the ingress could write it; the watcher reads the state from SageMaker.
 */
export function resourcesOfEvent(payload: unknown): NamedResource[] {
  if (!payload || typeof payload !== 'object') return [];
  const event = payload as Record<string, unknown>;
  if (
    !(SAGEMAKER_DETAIL_TYPES as readonly string[]).includes(
      String(event['detail-type']),
    )
  ) {
    return [];
  }
  const detail = (
    event.detail && typeof event.detail === 'object' ? event.detail : {}
  ) as Record<string, unknown>;
  const arns: string[] = [];
  if (Array.isArray(event.resources))
    arns.push(
      ...event.resources.filter((r): r is string => typeof r === 'string'),
    );
  for (const key of [
    'pipelineArn',
    'pipelineExecutionArn',
    'ModelPackageArn',
    'EndpointArn',
  ]) {
    if (typeof detail[key] === 'string') arns.push(detail[key] as string);
  }
  // A model package event names its group by name, in the event's account and region.
  const account = typeof event.account === 'string' ? event.account : '';
  const region = typeof event.region === 'string' ? event.region : '';
  if (typeof detail.ModelPackageGroupName === 'string' && account && region) {
    arns.push(
      `arn:aws:sagemaker:${region}:${account}:model-package-group/${detail.ModelPackageGroupName}`,
    );
  }
  if (typeof detail.EndpointName === 'string' && account && region) {
    arns.push(
      `arn:aws:sagemaker:${region}:${account}:endpoint/${detail.EndpointName}`,
    );
  }
  const unique = new Map<string, NamedResource>();
  for (const arn of arns) {
    const r = resourceOf(arn);
    if (r) unique.set(`${r.annotation} ${r.arn}`, r);
    // SageMaker's events name one or two resources; a post naming more is not one of them (and each costs reads).
    if (unique.size === MAX_RESOURCES_PER_EVENT) break;
  }
  return [...unique.values()];
}

/** Whether the entity's annotations name this resource (the endpoint annotation holds a list). */
export function entityNames(entity: Entity, resource: NamedResource): boolean {
  const binding = readEntityBinding(entity);
  switch (resource.annotation) {
    case ANNOTATION_PIPELINE_ARN:
      return (
        binding.pipeline.state === 'bound' &&
        binding.pipeline.value.arn === resource.arn
      );
    case ANNOTATION_MODEL_PACKAGE_GROUP_ARN:
      return (
        binding.modelPackageGroup.state === 'bound' &&
        binding.modelPackageGroup.value.arn === resource.arn
      );
    default:
      return (
        binding.endpoints.state === 'bound' &&
        binding.endpoints.value.some(e => e.arn === resource.arn)
      );
  }
}
