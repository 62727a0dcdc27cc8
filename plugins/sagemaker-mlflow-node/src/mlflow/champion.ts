/**
 * Which version of a registered model is its champion, on MLflow 3 (aliases only) and 2.x (aliases and stages)
 * alike: the version the `champion` alias names, else the newest version in stage Production.
 */
import {
  CHAMPION_ALIAS,
  CHAMPION_STAGE,
  type Champion,
  type ModelStage,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import type { MlflowClient } from './MlflowClient';
import type { MlflowModelVersion, MlflowRegisteredModel } from './types';

const STAGES: readonly string[] = [
  'Staging',
  'Production',
  'Archived',
] satisfies ModelStage[];

/** A version's registry stage as the API shows it; none for `None` (every version on MLflow 3) or an unknown one. */
export function stageOf(version: MlflowModelVersion): ModelStage | undefined {
  return STAGES.includes(version.current_stage ?? '')
    ? (version.current_stage as ModelStage)
    : undefined;
}

/**
 * The model's champion, from the registered model alone: its aliases and, on MLflow 2.x, its `latest_versions`
 * (the newest version of each stage), so no further call is needed.
 */
export function championOf(model: MlflowRegisteredModel): Champion | undefined {
  const alias = model.aliases?.find(a => a.alias === CHAMPION_ALIAS);
  if (alias) return { version: alias.version, by: 'alias' };
  const production = (model.latest_versions ?? [])
    .filter(v => v.current_stage === CHAMPION_STAGE)
    .sort((a, b) => Number(b.version) - Number(a.version))[0];
  return production ? { version: production.version, by: 'stage' } : undefined;
}

/**
 * The champion version itself, or undefined when the model has none. Reads the registered model first rather than
 * asking for the alias: a missing alias is a 404 on MLflow 3 but a 400 on 2.x.
 */
export async function championVersion(
  client: MlflowClient,
  modelName: string,
): Promise<(MlflowModelVersion & { championBy: Champion['by'] }) | undefined> {
  const champion = championOf(await client.getRegisteredModel(modelName));
  if (!champion) return undefined;
  const version = await client.getModelVersion(modelName, champion.version);
  return { ...version, championBy: champion.by };
}
