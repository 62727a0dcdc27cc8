import type { AuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { ConflictError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { BINDING_TAG } from '@model-factory/plugin-sagemaker-mlflow-common';
import { createValidatedTemplateAction, entityRefField } from './inputFields';

/**
 * Refuses a new project whose component ref is already in the catalog. What the template creates is bound to
 * that ref (its backstage.io/entity-ref tag), so whoever registered an entity of that ref first, say from a
 * location of their own, would own the new project's resources in the portal.
 */
export function createRequireNewEntityAction(options: {
  catalog: CatalogService;
  auth: AuthService;
}) {
  return createValidatedTemplateAction({
    id: 'sagemaker-mlflow:entity:require-new',
    description: `Fails when the entity ref is already in the catalog: run it before anything is created and bound to that ref (${BINDING_TAG}).`,
    supportsDryRun: true,
    examples: [
      {
        description: 'The first step of a template that binds resources',
        example: [
          'steps:',
          '  - id: newEntity',
          '    action: sagemaker-mlflow:entity:require-new',
          '    input:',
          '      entityRef: component:default/${{ parameters.name }}',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        entityRef: z =>
          entityRefField(z).describe('The ref the new entity will have'),
      },
    },
    async handler(ctx) {
      const ref = stringifyEntityRef(parseEntityRef(ctx.input.entityRef));
      // The portal's own view: an entity the user may not read still holds the ref.
      const existing = await options.catalog.getEntityByRef(ref, {
        credentials: await options.auth.getOwnServiceCredentials(),
      });
      if (existing) {
        const owner = (existing.spec?.owner as string | undefined) ?? 'nobody';
        throw new ConflictError(
          `${ref} is already in the catalog (owned by ${owner}): a new project needs a name no entity has, since what it creates is bound to that ref. Choose another name.`,
        );
      }
      ctx.logger.info(`${ref} is not in the catalog yet`);
    },
  });
}
