import { ANNOTATION_EXPERIMENT_NAME } from '@model-factory/plugin-sagemaker-mlflow-common';
import { EntityContext, required } from './EntityContext';
import type { ServiceDeps } from './types';

// An experiment's id never changes for its name, unless it is renamed, or deleted and one of that name made again:
// ten minutes bounds how long a tab would look in the old one.
const EXPERIMENT_ID_TTL_MS = 600_000;

/**
 * The id of the entity's MLflow experiment: a fact, looked up once and shared by every section and entity that
 * searches its runs, so a tab whose answers expired searches runs in its first round.
 */
export function experimentIdOf(
  deps: Pick<ServiceDeps, 'cache' | 'mlflow'>,
  ctx: EntityContext,
): Promise<string> {
  const name = required(ctx.binding.experimentName, ANNOTATION_EXPERIMENT_NAME);
  const server = ctx.binding.trackingServer;
  return deps.cache.fact(
    `experiment:${server}:${name}`,
    async () => {
      const experiment = await deps.mlflow
        .forServer(server)
        .getExperimentByName(name);
      return experiment.experiment_id;
    },
    EXPERIMENT_ID_TTL_MS,
  );
}
