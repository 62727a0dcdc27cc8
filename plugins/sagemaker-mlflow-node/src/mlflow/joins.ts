/**
 * How Model Factory joins MLflow's answers: a model's versions with their aliases and their source runs' metrics,
 * an execution with its runs. One definition for the backend's routes and the search collator.
 */
import {
  KEY_METRICS,
  TAG_PIPELINE_EXECUTION_ARN,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { InputError } from '@backstage/errors';
import type { MlflowClient } from './MlflowClient';
import type { MlflowModelVersion, MlflowRun, MlflowTag } from './types';

/**
 * A string literal for an MLflow search filter (`name = 'x'`). MLflow's filter parser takes a literal as written,
 * with no escapes: a value holding a quote or a backslash cannot be written as one, and is refused rather than
 * sent as a filter that means something else.
 */
export const mlflowFilterLiteral = (value: string) => {
  if (/['\\]/.test(value)) {
    throw new InputError(
      `'${value}' holds a quote or a backslash, which MLflow's search filters cannot express`,
    );
  }
  return `'${value}'`;
};

/** The search filter for one registered model's versions. */
export const versionsOf = (modelName: string) =>
  `name=${mlflowFilterLiteral(modelName)}`;

/** The registered model's aliases by the version they name (version search results do not carry them). */
export function aliasesByVersion(
  aliases: Array<{ alias: string; version: string }> = [],
): Map<string, string[]> {
  const byVersion = new Map<string, string[]>();
  for (const { alias, version } of aliases)
    byVersion.set(version, [...(byVersion.get(version) ?? []), alias]);
  return byVersion;
}

export const tagsOf = (tags: MlflowTag[] = []): Record<string, string> =>
  Object.fromEntries(tags.map(t => [t.key, t.value]));

export const metricsOf = (run: MlflowRun): Record<string, number> =>
  Object.fromEntries((run.data.metrics ?? []).map(m => [m.key, m.value]));

/** Metrics a search index holds for a run: at most this many, the key metrics first. */
const INDEXED_METRICS = 20;

/**
 * A run's metrics as a search index holds them: the key metrics first, then the run's own (a model the template did
 * not make logs others: rmse, mae...), at most INDEXED_METRICS, rounded.
 */
export const indexedMetricsOf = (
  metrics: Record<string, number>,
): Record<string, number> => {
  const isKey = (name: string) =>
    (KEY_METRICS as readonly string[]).includes(name);
  return Object.fromEntries(
    Object.entries(metrics)
      .sort(
        ([a], [b]) => Number(isKey(b)) - Number(isKey(a)) || a.localeCompare(b),
      )
      .slice(0, INDEXED_METRICS)
      .map(([key, value]) => [key, Math.round(value * 10000) / 10000]),
  );
};

/** A version's source run: the experiment it is in, its metrics, and whether it has finished. */
export interface SourceRun {
  experimentId: string;
  metrics: Record<string, number>;
  finished: boolean;
}

/**
 * The source runs of a page of versions, with one filtered search (not one call per version). Runs outside
 * `experimentIds` are not looked for: a version's run id is the version's own claim.
 */
export async function sourceRunsOf(
  client: MlflowClient,
  versions: MlflowModelVersion[],
  experimentIds: string[],
): Promise<Map<string, SourceRun>> {
  const runIds = [
    ...new Set(
      versions.map(v => v.run_id).filter((id): id is string => Boolean(id)),
    ),
  ];
  const byRun = new Map<string, SourceRun>();
  if (runIds.length === 0 || experimentIds.length === 0) return byRun;
  const runs = await client.searchRuns({
    experimentIds,
    filter: `attributes.run_id IN (${runIds
      .map(mlflowFilterLiteral)
      .join(', ')})`,
    maxResults: runIds.length,
  });
  for (const run of runs.items) {
    byRun.set(run.info.run_id, {
      experimentId: run.info.experiment_id,
      metrics: metricsOf(run),
      finished: run.info.status === 'FINISHED',
    });
  }
  return byRun;
}

/**
 * The runs of pipeline executions, newest first: of one execution (`executionArn`), or of every execution of a
 * pipeline (`pipelineArn`), found by the tag the generated project's steps write.
 */
export async function runsOfExecutions(
  client: MlflowClient,
  experimentId: string,
  of: { executionArn: string } | { pipelineArn: string },
): Promise<MlflowRun[]> {
  const filter =
    'executionArn' in of
      ? `tags.\`${TAG_PIPELINE_EXECUTION_ARN}\` = ${mlflowFilterLiteral(
          of.executionArn,
        )}`
      : `tags.\`${TAG_PIPELINE_EXECUTION_ARN}\` LIKE ${mlflowFilterLiteral(
          `${of.pipelineArn}/execution/%`,
        )}`;
  const runs = await client.searchRuns({
    experimentIds: [experimentId],
    filter,
    orderBy: ['attributes.start_time DESC'],
    maxResults: 'executionArn' in of ? 100 : 1000,
  });
  return runs.items;
}

/** The execution a run belongs to, by its tag. */
export const executionOfRun = (run: MlflowRun): string | undefined =>
  run.data.tags?.find(t => t.key === TAG_PIPELINE_EXECUTION_ARN)?.value;
