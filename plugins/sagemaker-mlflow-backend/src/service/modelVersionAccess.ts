import { InputError } from '@backstage/errors';
import { ANNOTATION_REGISTERED_MODEL_NAME } from '@model-factory/plugin-sagemaker-mlflow-common';
import { EntityContext, required } from './EntityContext';
import type { ServiceDeps } from './types';

/** An MLflow model version number as the routes accept it. */
const VERSION = /^[1-9]\d{0,9}$/;

/** Refuses what is not a model version number, before anything upstream is asked. */
export function checkVersion(version: string): void {
  if (!VERSION.test(version))
    throw new InputError(`'${version}' is not a model version number`);
}

/**
 * The entity's registered model and its server's client, to read one of its versions: the version number checked,
 * the model the entity's annotation names, bound to it when reads require bindings.
 */
export async function modelForVersionRead(
  deps: ServiceDeps,
  ctx: EntityContext,
  version: string,
) {
  checkVersion(version);
  const modelName = required(
    ctx.binding.registeredModelName,
    ANNOTATION_REGISTERED_MODEL_NAME,
  );
  await deps.bindings.requireForRead(ctx, {
    kind: 'registered-model',
    name: modelName,
  });
  return {
    modelName,
    client: deps.mlflow.forServer(ctx.binding.trackingServer),
  };
}
