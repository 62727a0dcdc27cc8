import { ANNOTATION_EXPERIMENT_NAME } from '@model-factory/plugin-sagemaker-mlflow-common';
import { EntityContext, required } from './EntityContext';
import type { ServiceDeps } from './types';

/**
 * The id of the entity's MLflow experiment, looked up once and shared by every section that searches its runs
 * (an experiment's id never changes for its name).
 */
export function experimentIdOf(
  deps: ServiceDeps,
  ctx: EntityContext,
): Promise<string> {
  const name = required(ctx.binding.experimentName, ANNOTATION_EXPERIMENT_NAME);
  const server = ctx.binding.trackingServer;
  return deps.cache.get(
    ctx.entityRef,
    `experiment:${server}:${name}`,
    async () => {
      const experiment = await deps.mlflow
        .forServer(server)
        .getExperimentByName(name);
      return experiment.experiment_id;
    },
  );
}
