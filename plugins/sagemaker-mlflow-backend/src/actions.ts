import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { parseEntityRef } from '@backstage/catalog-model';
import { loadEntityContext } from './service/EntityContext';
import type { ModelVersions } from './service/modelVersions';
import type { Pipelines } from './service/pipelines';

/**
 * Read-only actions for AI assistants connected to the portal (MCP): the same data as the tab, for an entity the
 * caller can read.
 */
export function registerActions(options: {
  actionsRegistry: ActionsRegistryService;
  catalog: CatalogService;
  pipelines: Pipelines;
  versions: ModelVersions;
}) {
  const { actionsRegistry, catalog, pipelines, versions } = options;
  const entityInput = (z: any) =>
    z.object({
      entityRef: z
        .string()
        .describe('Catalog entity ref, e.g. component:default/demo-model'),
      pageSize: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(20)
        .describe('Items per page'),
      pageToken: z
        .string()
        .optional()
        .describe('nextPageToken of the previous page'),
    });

  actionsRegistry.register({
    name: 'get-pipeline-executions',
    title: 'Get SageMaker pipeline executions',
    description:
      "Lists the SageMaker pipeline executions of a catalog entity's pipeline (newest first), with status, times and the metrics of their MLflow runs.",
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: entityInput,
      output: z => z.object({ page: z.any() }),
    },
    action: async ({ input, credentials }) => {
      const ctx = await loadEntityContext(
        catalog,
        parseEntityRef(input.entityRef),
        credentials,
      );
      return {
        output: {
          page: await pipelines.list(ctx, input.pageSize, input.pageToken),
        },
      };
    },
  });

  actionsRegistry.register({
    name: 'get-model-versions',
    title: 'Get MLflow model versions',
    description:
      "Lists the versions of a catalog entity's MLflow registered model (newest first) with aliases, tags, run metrics and SageMaker approval status.",
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: entityInput,
      output: z => z.object({ page: z.any() }),
    },
    action: async ({ input, credentials }) => {
      const ctx = await loadEntityContext(
        catalog,
        parseEntityRef(input.entityRef),
        credentials,
      );
      return {
        output: {
          page: await versions.list(ctx, input.pageSize, input.pageToken),
        },
      };
    },
  });
}
