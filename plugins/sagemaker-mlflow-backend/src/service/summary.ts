import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  DEFAULT_PAGE_SIZE,
  ModelVersion,
  ModelVersionsPage,
  Section,
  Summary,
  SummaryVersion,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import type { EntityContext } from './EntityContext';
import type { Endpoints } from './endpoints';
import type { ModelVersions } from './modelVersions';
import type { Pipelines } from './pipelines/Pipelines';
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
  // A section of the tab's answer becomes a section of the summary: its error, or the first item.
  const sectionOf = async <P, T>(
    load: () => Promise<P>,
    pick: (page: P) => Section<T> | Promise<Section<T>>,
  ): Promise<Section<T>> => {
    const page = await settle(load, logger);
    return page.error ? { error: page.error } : pick(page.data!);
  };
  const firstItem = <T>(section: Section<{ items: T[] }>): Section<T | null> =>
    section.error
      ? { error: section.error }
      : { data: section.data!.items[0] ?? null };
  // The version with its model package, when the page's SageMaker section has it.
  const withPackage = (
    page: ModelVersionsPage,
    version: ModelVersion | null,
  ): SummaryVersion | null => {
    const modelPackage = version && page.modelPackages.data?.[version.version];
    return version && modelPackage ? { ...version, modelPackage } : version;
  };
  const versionsPage = () => versions.list(ctx, DEFAULT_PAGE_SIZE);
  const [latestExecution, latestVersion, champion, endpointStates] =
    await Promise.all([
      sectionOf(
        () => pipelines.list(ctx, DEFAULT_PAGE_SIZE),
        page => firstItem(page.executions),
      ),
      sectionOf(versionsPage, page => {
        const latest = firstItem(page.versions);
        return latest.error
          ? latest
          : { data: withPackage(page, latest.data ?? null) };
      }),
      sectionOf(versionsPage, async page => {
        if (page.versions.error) return { error: page.versions.error };
        // By alias, else by stage (MLflow 2.x): the versions page has resolved it for the whole model.
        const ref = page.versions.data!.champion;
        if (!ref) return { data: null };
        const onPage = page.versions.data!.items.find(
          v => v.version === ref.version,
        );
        const found: Section<SummaryVersion | null> = onPage
          ? { data: withPackage(page, onPage) }
          : await settle(() => versions.one(ctx, ref.version), logger);
        return found.data
          ? { data: { ...found.data, championBy: ref.by } }
          : found;
      }),
      settle(
        async () =>
          (
            await endpoints.list(ctx)
          ).items.map(e => ({
            name: e.name,
            status: e.endpoint.data?.status ?? 'Unknown',
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
