import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { parseEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { DEFAULT_PAGE_SIZE } from '@model-factory/plugin-sagemaker-mlflow-common';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { EntityContext, loadEntityContext } from './service/EntityContext';
import type { ModelVersions } from './service/modelVersions';
import type { Pipelines } from './service/pipelines/Pipelines';

/**
 * Read-only actions for AI assistants connected to the portal (MCP): the same pages as the tab, for an entity
 * the caller can read.
 */
/** A ref as people write it (`demo-model` means component:default/demo-model); a bad one is the caller's error. */
function entityRefOf(ref: string) {
  try {
    return parseEntityRef(ref, {
      defaultKind: 'component',
      defaultNamespace: 'default',
    });
  } catch (error) {
    throw new InputError(
      `entityRef '${ref}' is not an entity ref like component:default/demo-model`,
    );
  }
}

export function registerActions(options: {
  actionsRegistry: ActionsRegistryService;
  catalog: CatalogService;
  pipelines: Pipelines;
  versions: ModelVersions;
}) {
  const { actionsRegistry, catalog, pipelines, versions } = options;

  const registerPageAction = (
    name: string,
    title: string,
    description: string,
    load: (
      ctx: EntityContext,
      pageSize: number,
      pageToken?: string,
    ) => Promise<unknown>,
  ) =>
    actionsRegistry.register({
      name,
      title,
      description,
      attributes: { readOnly: true, idempotent: true, destructive: false },
      schema: {
        input: z =>
          z.object({
            entityRef: z
              .string()
              .describe(
                'Catalog entity ref, e.g. component:default/demo-model',
              ),
            pageSize: z
              .number()
              .int()
              .min(1)
              .max(100)
              .default(DEFAULT_PAGE_SIZE)
              .describe('Items per page'),
            pageToken: z
              .string()
              .optional()
              .describe('nextPageToken of the previous page'),
          }),
        output: z => z.object({ page: z.any() }),
      },
      action: async ({ input, credentials }) => {
        const ctx = await loadEntityContext(
          catalog,
          entityRefOf(input.entityRef),
          credentials,
        );
        return {
          output: { page: await load(ctx, input.pageSize, input.pageToken) },
        };
      },
    });

  registerPageAction(
    'get-pipeline-executions',
    'Get SageMaker pipeline executions',
    "Lists the SageMaker pipeline executions of a catalog entity's pipeline (newest first), with status, times and the metrics of their MLflow runs.",
    (ctx, size, token) => pipelines.list(ctx, size, token),
  );
  registerPageAction(
    'get-model-versions',
    'Get MLflow model versions',
    "Lists the versions of a catalog entity's MLflow registered model (newest first) with aliases, tags, run metrics and SageMaker approval status.",
    (ctx, size, token) => versions.list(ctx, size, token),
  );
}
