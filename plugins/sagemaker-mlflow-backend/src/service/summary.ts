import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  DEFAULT_PAGE_SIZE,
  Summary,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import type { EntityContext } from './EntityContext';
import type { Endpoints } from './endpoints';
import type { ModelVersions } from './modelVersions';
import type { Pipelines } from './pipelines';
import { settle } from './sections';

/**
 * The overview card's data, read from the same first pages the tab loads: a card and a tab opened together cost
 * one set of upstream calls. Each section loads and fails on its own (MLflow down still shows SageMaker's).
 */
export async function loadSummary(
  ctx: EntityContext,
  services: {
    pipelines: Pipelines;
    versions: ModelVersions;
    endpoints: Endpoints;
  },
  logger?: LoggerService,
): Promise<Summary> {
  const { pipelines, versions, endpoints } = services;
  const [latestExecution, latestVersion, champion, endpointStates] =
    await Promise.all([
      settle(
        async () =>
          (await pipelines.list(ctx, DEFAULT_PAGE_SIZE)).items[0] ?? null,
        logger,
      ),
      settle(
        async () =>
          (await versions.list(ctx, DEFAULT_PAGE_SIZE)).items[0] ?? null,
        logger,
      ),
      settle(async () => {
        const page = await versions.list(ctx, DEFAULT_PAGE_SIZE);
        const version = page.aliases.champion;
        if (!version) return null;
        return (
          page.items.find(v => v.version === version) ??
          versions.one(ctx, 'champion')
        );
      }, logger),
      settle(
        async () =>
          (
            await endpoints.list(ctx)
          ).items.map(e => ({
            name: e.name,
            status: e.endpoint?.status ?? 'Unknown',
          })),
        logger,
      ),
    ]);
  return {
    latestExecution,
    champion,
    latestVersion,
    endpoints: endpointStates,
  };
}
