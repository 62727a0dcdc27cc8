import {
  DescribeEndpointCommand,
  ListModelPackagesCommand,
  ListPipelineExecutionsCommand,
} from '@aws-sdk/client-sagemaker';
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { TAG_MODEL_PACKAGE_ARN } from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  awsCall,
  readEntityBinding,
  tagsOf,
  versionsOf,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import type { BindableResource } from '../bindings';
import type { EntityContext } from '../EntityContext';
import { belongsToGroup } from '../modelPackages';
import type { ServiceDeps } from '../types';
import type { Observation } from './detect';

/** How far back each resource is watched: the newest this many executions, packages and versions. */
export const WATCH_DEPTH = 20;

/**
 * Reads, fresh from upstream (never from the tab's cache: an event says something changed a moment ago), the state
 * of the resources the entity's annotations name, and only those. Each section is read on its own; one that fails
 * is left out (and detects nothing this time), the others stand. With `binding.requireForReads`, a resource whose
 * binding tag does not name the entity is not read either.
 */
export async function observe(
  deps: ServiceDeps,
  entity: Entity,
  credentials: BackstageCredentials,
): Promise<Observation> {
  const ctx: EntityContext = {
    entity,
    entityRef: stringifyEntityRef(entity),
    binding: readEntityBinding(entity),
    credentials,
  };
  const { binding } = ctx;
  const section = async <T>(
    name: string,
    resources: BindableResource[],
    read: () => Promise<T>,
  ): Promise<T | undefined> => {
    try {
      if (deps.config.requireBindingForReads) {
        for (const r of resources) {
          const b = await deps.bindings.read(ctx, r);
          if (b.state !== 'bound') return undefined;
        }
      }
      return await read();
    } catch (error) {
      deps.logger.warn(
        `Notifications: could not read the ${name} of ${ctx.entityRef}: ${error}`,
      );
      return undefined;
    }
  };

  const versions =
    binding.registeredModelName.state === 'bound'
      ? section(
          'model versions',
          [
            {
              kind: 'registered-model',
              name: binding.registeredModelName.value,
            },
          ],
          async () => {
            const client = deps.mlflow.forServer(binding.trackingServer);
            const page = await client.searchModelVersions({
              filter: versionsOf(
                (binding.registeredModelName as { value: string }).value,
              ),
              orderBy: ['version_number DESC'],
              maxResults: WATCH_DEPTH,
            });
            return page.items.map(v => ({
              version: v.version,
              tags: tagsOf(v.tags),
            }));
          },
        )
      : Promise.resolve(undefined);

  const group =
    binding.modelPackageGroup.state === 'bound'
      ? binding.modelPackageGroup.value
      : undefined;
  const packages = group
    ? section(
        'model packages',
        [{ kind: 'model-package-group', arn: group }],
        async () => {
          const client = await deps.sagemaker.sagemaker(group);
          const res = await awsCall('SageMaker ListModelPackages', () =>
            client.send(
              new ListModelPackagesCommand({
                ModelPackageGroupName: group.resourceName,
                SortBy: 'CreationTime',
                SortOrder: 'Descending',
                MaxResults: WATCH_DEPTH,
              }),
            ),
          );
          // The MLflow version that names each package (its tag), to link the notification to that version.
          const byArn = new Map<string, string>();
          for (const v of (await versions.catch(() => undefined)) ?? []) {
            const arn = v.tags[TAG_MODEL_PACKAGE_ARN];
            if (arn && belongsToGroup(arn, group)) byArn.set(arn, v.version);
          }
          return (res.ModelPackageSummaryList ?? [])
            .slice(0, WATCH_DEPTH)
            .filter(p => p.ModelPackageArn)
            .map(p => ({
              arn: p.ModelPackageArn!,
              status: p.ModelApprovalStatus ?? 'Unknown',
              packageVersion: p.ModelPackageVersion,
              mlflowVersion: byArn.get(p.ModelPackageArn!),
            }));
        },
      )
    : Promise.resolve(undefined);

  const pipeline =
    binding.pipeline.state === 'bound' ? binding.pipeline.value : undefined;
  const executions = pipeline
    ? section(
        'pipeline executions',
        [{ kind: 'pipeline', arn: pipeline }],
        async () => {
          const client = await deps.sagemaker.sagemaker(pipeline);
          const res = await awsCall('SageMaker ListPipelineExecutions', () =>
            client.send(
              new ListPipelineExecutionsCommand({
                PipelineName: pipeline.resourceName,
                SortBy: 'CreationTime',
                SortOrder: 'Descending',
                MaxResults: WATCH_DEPTH,
              }),
            ),
          );
          return (res.PipelineExecutionSummaries ?? [])
            .slice(0, WATCH_DEPTH)
            .filter(e => e.PipelineExecutionArn)
            .map(e => ({
              arn: e.PipelineExecutionArn!,
              status: e.PipelineExecutionStatus ?? 'Unknown',
              displayName: e.PipelineExecutionDisplayName,
              failureReason: e.PipelineExecutionFailureReason,
            }));
        },
      )
    : Promise.resolve(undefined);

  const annotated =
    binding.endpoints.state === 'bound' ? binding.endpoints.value : [];
  const endpoints =
    annotated.length > 0
      ? section(
          'endpoints',
          annotated.map(arn => ({ kind: 'endpoint' as const, arn })),
          () =>
            Promise.all(
              annotated.map(async arn => {
                const client = await deps.sagemaker.sagemaker(arn);
                const d = await awsCall('SageMaker DescribeEndpoint', () =>
                  client.send(
                    new DescribeEndpointCommand({
                      EndpointName: arn.resourceName,
                    }),
                  ),
                );
                return {
                  arn: arn.arn,
                  name: arn.resourceName,
                  status: d.EndpointStatus ?? 'Unknown',
                  failureReason: d.FailureReason || undefined,
                  lastModifiedAt: d.LastModifiedTime?.toISOString(),
                };
              }),
            ),
        )
      : Promise.resolve(undefined);

  const [v, p, x, e] = await Promise.all([
    versions,
    packages,
    executions,
    endpoints,
  ]);
  const observation: Observation = {};
  if (v) observation.versions = v;
  if (p) observation.packages = p;
  if (x) observation.executions = x;
  if (e) observation.endpoints = e;
  return observation;
}
