// The zod the scaffolder hands to schema functions (its v3 API).
import { ConflictError, InputError } from '@backstage/errors';
import { BINDING_TAG } from '@model-factory/plugin-sagemaker-mlflow-common';
import { bindsEntity } from '@model-factory/plugin-sagemaker-mlflow-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { z as zodV3 } from 'zod/v3';
import type { z as zod } from 'zod/v3';

type Z = typeof zod;

// The input fields the actions share, so each is validated (and its error worded) the same way everywhere.
const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

export const accountIdField = (z: Z) =>
  z.string().regex(/^\d{12}$/, 'accountId must be a 12-digit AWS account id');

export const regionField = (z: Z) =>
  z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must look like eu-west-1');

export const sagemakerNameField = (z: Z, field: string) =>
  z
    .string()
    .regex(
      SAGEMAKER_NAME,
      `${field} must be a SageMaker name (letters, digits, hyphens)`,
    );

export const trackingServerField = (z: Z) =>
  z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9-]{0,62}$/,
      'trackingServer must be a server name from sagemakerMlflow.mlflow.servers, not a URL',
    )
    .default('default')
    .describe('Tracking server name from config (never a URL)');

export const mlflowNameField = (z: Z, field: string) =>
  z
    .string()
    .min(1)
    .max(256)
    .regex(/^\P{Cc}+$/u, `${field} must not contain control characters`);

/** A full entity ref, as binding tags hold them. */
export const entityRefField = (z: Z) =>
  z
    .string()
    .regex(
      /^[a-z0-9-]+:[a-z0-9_.-]+\/[a-zA-Z0-9_.-]{1,63}$/,
      'entityRef must be a full entity ref like component:default/churn-model',
    );

/** The entity that will own what the action creates: its binding tag's value. */
export const bindingEntityRefField = (z: Z) =>
  entityRefField(z)
    .optional()
    .describe(
      'The catalog entity that will own what is created: it is tagged backstage.io/entity-ref=<entityRef>, the two-way binding that lets that entity (and only it) act on the resource',
    );

/**
 * Refuses to reuse an existing resource that another entity is bound to (a template run must not take it over),
 * and says what an unbound one means. `tagValue` is the existing resource's binding tag.
 */
export function checkReusable(
  what: string,
  entityRef: string | undefined,
  tagValues: string[],
  logger: { warn(message: string): void },
) {
  if (!tagValues.some(v => v.trim())) {
    if (entityRef) {
      // Tagging it here would let any template user claim an existing resource by naming it.
      logger.warn(
        `${what} exists and is not bound to any entity: ${entityRef} can read it but not act on it until its owners add the tag ${BINDING_TAG}=${entityRef}`,
      );
    }
    return;
  }
  if (!entityRef || !bindsEntity(tagValues, entityRef)) {
    throw new ConflictError(
      `${what} already exists and is bound to '${[...new Set(tagValues)].join(
        "', '",
      )}' (its ${BINDING_TAG} tag): choose another name`,
    );
  }
}

/**
 * createTemplateAction whose handler gets its input parsed by the zod fields it declares. The scaffolder itself
 * only checks the input against the JSON schema made from them (a bad value fails there first, in JSON schema's
 * words naming the field and its pattern), so without this `.default()`s never apply. A direct caller of the
 * handler gets the field's own message.
 */
export const createValidatedTemplateAction = ((options: any) =>
  createTemplateAction({
    ...options,
    handler: async (ctx: any) =>
      options.handler({
        ...ctx,
        input: parseInput(options.schema?.input ?? {}, ctx.input),
      }),
  })) as unknown as typeof createTemplateAction;

function parseInput(
  fields: Record<string, (z: Z) => zodV3.ZodTypeAny>,
  input: unknown,
) {
  const schema = zodV3.object(
    Object.fromEntries(
      Object.entries(fields).map(([name, field]) => [name, field(zodV3)]),
    ),
  );
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    throw new InputError(
      result.error.issues
        .map(issue => `${issue.path.join('.') || 'input'}: ${issue.message}`)
        .join('; '),
    );
  }
  return result.data;
}
