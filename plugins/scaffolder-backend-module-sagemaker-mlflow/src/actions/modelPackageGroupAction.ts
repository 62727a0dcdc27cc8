import {
  CreateModelPackageGroupCommand,
  DescribeModelPackageGroupCommand,
  ListTagsCommand,
} from '@aws-sdk/client-sagemaker';
import { BINDING_TAG } from '@model-factory/plugin-sagemaker-mlflow-common';
import { ConflictError } from '@backstage/errors';
import {
  accountIdField,
  checkReusable,
  bindingEntityRefField,
  regionField,
  sagemakerNameField,
  createValidatedTemplateAction,
} from './inputFields';
import {
  awsCall,
  parseSageMakerArn,
  sagemakerBindingTags,
  SageMakerClients,
} from '@model-factory/plugin-sagemaker-mlflow-node';

/** Creates a SageMaker model package group, or reuses one of that name with the same description. */
export function createModelPackageGroupAction(sagemaker: SageMakerClients) {
  return createValidatedTemplateAction({
    id: 'sagemaker:model-package-group:create',
    description:
      'Creates a SageMaker model package group (re-running with the same input reuses it).',
    supportsDryRun: true,
    examples: [
      {
        description: 'The model package group of a new model project',
        example: [
          'steps:',
          '  - id: group',
          '    action: sagemaker:model-package-group:create',
          '    input:',
          "      accountId: '123456789012'",
          '      region: eu-west-1',
          '      name: churn-model',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        accountId: z => accountIdField(z),
        region: z => regionField(z),
        name: z => sagemakerNameField(z, 'name'),
        description: z =>
          z
            .string()
            .max(1024)
            // SageMaker's own pattern (no control characters): refused here, before anything is created.
            .regex(
              /^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*$/u,
              'description must be one line without control characters (SageMaker refuses them)',
            )
            .optional(),
        entityRef: z => bindingEntityRefField(z),
      },
      output: {
        arn: z => z.string(),
        created: z => z.boolean(),
      },
    },
    async handler(ctx) {
      const arn = parseSageMakerArn(
        `arn:aws:sagemaker:${ctx.input.region}:${ctx.input.accountId}:model-package-group/${ctx.input.name}`,
        'model-package-group',
      );
      if (ctx.isDryRun) {
        ctx.logger.info(`Would create or reuse ${arn.arn}`);
        ctx.output('arn', arn.arn);
        ctx.output('created', false);
        return;
      }
      const client = await sagemaker.sagemaker(arn);
      const existing = await awsCall(
        'SageMaker DescribeModelPackageGroup',
        () =>
          client.send(
            new DescribeModelPackageGroupCommand({
              ModelPackageGroupName: ctx.input.name,
            }),
          ),
      ).catch(error => {
        if (error.name === 'NotFoundError') return undefined;
        throw error;
      });
      if (existing) {
        const tags = await awsCall('SageMaker ListTags', () =>
          client.send(
            new ListTagsCommand({
              ResourceArn: existing.ModelPackageGroupArn ?? arn.arn,
            }),
          ),
        );
        checkReusable(
          `Model package group '${ctx.input.name}'`,
          ctx.input.entityRef,
          sagemakerBindingTags(tags.Tags),
          ctx.logger,
        );
        if (
          ctx.input.description !== undefined &&
          (existing.ModelPackageGroupDescription ?? '') !==
            ctx.input.description
        ) {
          throw new ConflictError(
            `Model package group '${
              ctx.input.name
            }' already exists with another description ('${
              existing.ModelPackageGroupDescription ?? ''
            }')`,
          );
        }
        ctx.logger.info(`Reusing ${existing.ModelPackageGroupArn}`);
        ctx.output('arn', existing.ModelPackageGroupArn ?? arn.arn);
        ctx.output('created', false);
        return;
      }
      const created = await awsCall('SageMaker CreateModelPackageGroup', () =>
        client.send(
          new CreateModelPackageGroupCommand({
            ModelPackageGroupName: ctx.input.name,
            ModelPackageGroupDescription: ctx.input.description,
            Tags: ctx.input.entityRef
              ? [{ Key: BINDING_TAG, Value: ctx.input.entityRef }]
              : undefined,
          }),
        ),
      );
      ctx.logger.info(`Created ${created.ModelPackageGroupArn}`);
      ctx.output('arn', created.ModelPackageGroupArn ?? arn.arn);
      ctx.output('created', true);
    },
  });
}
