import {
  accountIdField,
  mlflowNameField,
  regionField,
  sagemakerNameField,
  trackingServerField,
  createValidatedTemplateAction,
} from './inputFields';
import {
  ANNOTATION_ENDPOINT_ARNS,
  ANNOTATION_EXPERIMENT_NAME,
  ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  ANNOTATION_PIPELINE_ARN,
  ANNOTATION_REGISTERED_MODEL_NAME,
  ANNOTATION_TRACKING_SERVER,
} from '@model-factory/plugin-sagemaker-mlflow-common';

/**
 * Computes the catalog annotations (DESIGN §4) that bind a new model project to its SageMaker and MLflow
 * resources, so the template's catalog-info.yaml names exactly what the provisioning steps created.
 */
export function createCatalogAnnotationsAction() {
  return createValidatedTemplateAction({
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
        accountId: z => accountIdField(z),
        region: z => regionField(z),
        pipelineName: z => sagemakerNameField(z, 'pipelineName'),
        modelPackageGroupName: z =>
          sagemakerNameField(z, 'modelPackageGroupName'),
        endpointNames: z =>
          z.array(sagemakerNameField(z, 'each endpoint name')).default([]),
        registeredModelName: z => mlflowNameField(z, 'registeredModelName'),
        experimentName: z => mlflowNameField(z, 'experimentName'),
        trackingServer: z => trackingServerField(z),
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
