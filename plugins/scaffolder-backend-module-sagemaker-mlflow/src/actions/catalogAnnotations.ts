import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ANNOTATION_ENDPOINT_ARNS,
  ANNOTATION_EXPERIMENT_NAME,
  ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  ANNOTATION_PIPELINE_ARN,
  ANNOTATION_REGISTERED_MODEL_NAME,
  ANNOTATION_TRACKING_SERVER,
} from '@model-factory/plugin-sagemaker-mlflow-common';

// SageMaker resource names: letters, digits and hyphens, starting alphanumeric, at most 63 characters.
const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * Computes the catalog annotations (DESIGN §4) that bind a new model project to its SageMaker and MLflow
 * resources, so the template's catalog-info.yaml names exactly what the provisioning steps created.
 */
export function createCatalogAnnotationsAction() {
  return createTemplateAction({
    id: 'sagemaker-mlflow:catalog-annotations',
    description:
      'Builds the catalog annotations that bind a component to its SageMaker pipeline, model package group, endpoints and MLflow registered model.',
    supportsDryRun: true,
    examples: [
      {
        description:
          'Annotations for a churn model with a staging and a prod endpoint',
        example: [
          'steps:',
          '  - id: annotations',
          '    action: sagemaker-mlflow:catalog-annotations',
          '    input:',
          "      accountId: '123456789012'",
          '      region: eu-west-1',
          '      pipelineName: churn-model',
          '      modelPackageGroupName: churn-model',
          '      endpointNames: [churn-model-staging, churn-model-prod]',
          '      registeredModelName: churn-model',
          '      experimentName: churn-model',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        accountId: z =>
          z
            .string()
            .regex(/^\d{12}$/, 'accountId must be a 12-digit AWS account id'),
        region: z =>
          z
            .string()
            .regex(
              /^[a-z]{2}(-[a-z]+)+-\d$/,
              'region must look like eu-west-1',
            ),
        pipelineName: z =>
          z
            .string()
            .regex(
              SAGEMAKER_NAME,
              'pipelineName must be a SageMaker name (letters, digits, hyphens)',
            ),
        modelPackageGroupName: z =>
          z
            .string()
            .regex(
              SAGEMAKER_NAME,
              'modelPackageGroupName must be a SageMaker name (letters, digits, hyphens)',
            ),
        endpointNames: z =>
          z
            .array(
              z
                .string()
                .regex(
                  SAGEMAKER_NAME,
                  'each endpoint name must be a SageMaker name',
                ),
            )
            .default([]),
        registeredModelName: z => z.string().min(1).max(256),
        experimentName: z => z.string().min(1).max(256),
        trackingServer: z =>
          z
            .string()
            .regex(
              /^[a-z0-9][a-z0-9-]{0,62}$/,
              'trackingServer must be a server name from config, not a URL',
            )
            .default('default'),
      },
      output: {
        annotations: z => z.record(z.string(), z.string()),
      },
    },
    async handler(ctx) {
      const { accountId, region } = ctx.input;
      const arn = (type: string, name: string) =>
        `arn:aws:sagemaker:${region}:${accountId}:${type}/${name}`;
      const annotations: Record<string, string> = {
        [ANNOTATION_PIPELINE_ARN]: arn('pipeline', ctx.input.pipelineName),
        [ANNOTATION_MODEL_PACKAGE_GROUP_ARN]: arn(
          'model-package-group',
          ctx.input.modelPackageGroupName,
        ),
        [ANNOTATION_REGISTERED_MODEL_NAME]: ctx.input.registeredModelName,
        [ANNOTATION_EXPERIMENT_NAME]: ctx.input.experimentName,
        [ANNOTATION_TRACKING_SERVER]: ctx.input.trackingServer,
      };
      if (ctx.input.endpointNames.length > 0) {
        annotations[ANNOTATION_ENDPOINT_ARNS] = ctx.input.endpointNames
          .map(name => arn('endpoint', name))
          .join(',');
      }
      ctx.output('annotations', annotations);
    },
  });
}
