import { ConflictError } from '@backstage/errors';
import type { MlflowClients } from '@model-factory/plugin-sagemaker-mlflow-node';
import { BINDING_TAG } from '@model-factory/plugin-sagemaker-mlflow-common';
import { mlflowBindingTags } from '@model-factory/plugin-sagemaker-mlflow-node';
import {
  checkReusable,
  createValidatedTemplateAction,
  bindingEntityRefField,
  mlflowNameField,
  trackingServerField,
} from './inputFields';

/** The tags of a new resource: the caller's, and the binding tag when the owning entity is known. */
const withBindingTag = (
  tags: Record<string, string>,
  entityRef: string | undefined,
) => (entityRef ? { ...tags, [BINDING_TAG]: entityRef } : tags);

const notFound = (error: Error) => error.name === 'NotFoundError';

/** Creates an MLflow experiment, or reuses the active one of that name. */
export function createMlflowExperimentAction(mlflow: MlflowClients) {
  return createValidatedTemplateAction({
    id: 'mlflow:experiment:create',
    description:
      'Creates an MLflow experiment (re-running with the same name reuses it).',
    supportsDryRun: true,
    examples: [
      {
        description: 'The experiment of a new model project',
        example: [
          'steps:',
          '  - id: experiment',
          '    action: mlflow:experiment:create',
          '    input:',
          '      name: churn-model',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        name: z => mlflowNameField(z, 'name').describe('Experiment name'),
        trackingServer: z => trackingServerField(z),
        tags: z =>
          z
            .record(z.string(), z.string())
            .default({})
            .describe('Tags for a new experiment'),
        entityRef: z => bindingEntityRefField(z),
      },
      output: {
        experimentId: z => z.string(),
        created: z => z.boolean(),
        trackingUri: z =>
          z
            .string()
            .describe(
              "MLFLOW_TRACKING_URI for the project's code: the server's URL, or its ARN for managed MLflow",
            ),
      },
    },
    async handler(ctx) {
      const client = mlflow.forServer(ctx.input.trackingServer);
      ctx.output('trackingUri', mlflow.trackingUriOf(ctx.input.trackingServer));
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Would create or reuse MLflow experiment ${ctx.input.name}`,
        );
        ctx.output('experimentId', 'dry-run');
        ctx.output('created', false);
        return;
      }
      const existing = await client
        .getExperimentByName(ctx.input.name)
        .catch(error => {
          if (notFound(error)) return undefined;
          throw error;
        });
      if (existing?.lifecycle_stage === 'deleted') {
        throw new ConflictError(
          `MLflow experiment '${ctx.input.name}' exists but is deleted: restore it or choose another name`,
        );
      }
      if (existing) {
        checkReusable(
          `MLflow experiment '${ctx.input.name}'`,
          ctx.input.entityRef,
          mlflowBindingTags(existing.tags),
          ctx.logger,
        );
        ctx.logger.info(
          `Reusing MLflow experiment ${ctx.input.name} (${existing.experiment_id})`,
        );
        ctx.output('experimentId', existing.experiment_id);
        ctx.output('created', false);
        return;
      }
      const experimentId = await client.createExperiment(
        ctx.input.name,
        withBindingTag(ctx.input.tags, ctx.input.entityRef),
      );
      ctx.logger.info(
        `Created MLflow experiment ${ctx.input.name} (${experimentId})`,
      );
      ctx.output('experimentId', experimentId);
      ctx.output('created', true);
    },
  });
}

/** Creates an MLflow registered model, or reuses one of that name with the same description. */
export function createMlflowRegisteredModelAction(mlflow: MlflowClients) {
  return createValidatedTemplateAction({
    id: 'mlflow:registered-model:create',
    description:
      'Creates an MLflow registered model (re-running with the same input reuses it).',
    supportsDryRun: true,
    examples: [
      {
        description: 'The registered model of a new model project',
        example: [
          'steps:',
          '  - id: model',
          '    action: mlflow:registered-model:create',
          '    input:',
          '      name: churn-model',
          '      description: Predicts churn',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        name: z => mlflowNameField(z, 'name').describe('Registered model name'),
        description: z =>
          z.string().max(5000).optional().describe('Model description'),
        trackingServer: z => trackingServerField(z),
        tags: z =>
          z
            .record(z.string(), z.string())
            .default({})
            .describe('Tags for a new model'),
        entityRef: z => bindingEntityRefField(z),
      },
      output: {
        name: z => z.string(),
        created: z => z.boolean(),
      },
    },
    async handler(ctx) {
      const client = mlflow.forServer(ctx.input.trackingServer);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Would create or reuse MLflow registered model ${ctx.input.name}`,
        );
        ctx.output('name', ctx.input.name);
        ctx.output('created', false);
        return;
      }
      const existing = await client
        .getRegisteredModel(ctx.input.name)
        .catch(error => {
          if (notFound(error)) return undefined;
          throw error;
        });
      if (existing) {
        checkReusable(
          `MLflow registered model '${ctx.input.name}'`,
          ctx.input.entityRef,
          mlflowBindingTags(existing.tags),
          ctx.logger,
        );
        if (
          ctx.input.description !== undefined &&
          (existing.description ?? '') !== ctx.input.description
        ) {
          throw new ConflictError(
            `MLflow registered model '${
              ctx.input.name
            }' already exists with another description ('${
              existing.description ?? ''
            }')`,
          );
        }
        ctx.logger.info(`Reusing MLflow registered model ${ctx.input.name}`);
        ctx.output('name', existing.name);
        ctx.output('created', false);
        return;
      }
      await client.createRegisteredModel(
        ctx.input.name,
        ctx.input.description,
        withBindingTag(ctx.input.tags, ctx.input.entityRef),
      );
      ctx.logger.info(`Created MLflow registered model ${ctx.input.name}`);
      ctx.output('name', ctx.input.name);
      ctx.output('created', true);
    },
  });
}
