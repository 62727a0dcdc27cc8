import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  BINDING_TAG,
  BindableKind,
  ResourceBinding,
} from '@model-factory/plugin-sagemaker-mlflow-common';

const LABELS: Record<BindableKind, string> = {
  pipeline: 'SageMaker pipeline',
  'model-package-group': 'SageMaker model package group',
  endpoint: 'SageMaker endpoint',
  'registered-model': 'MLflow registered model',
};

/** The entity ref a binding tag's value names, normalised as the catalog compares refs; undefined if none. */
function normalisedRef(value: string | undefined): string | undefined {
  if (!value?.trim()) return undefined;
  try {
    return stringifyEntityRef(parseEntityRef(value.trim())).toLowerCase();
  } catch {
    return undefined;
  }
}

/** The command that binds the resource to the entity, run by someone allowed to tag it (not by the portal). */
export function bindCommand(
  kind: BindableKind,
  resource: string,
  entityRef: string,
): string {
  if (kind === 'registered-model') {
    return `MLFLOW_TRACKING_URI=<server> python -c "import mlflow; mlflow.MlflowClient().set_registered_model_tag(${JSON.stringify(
      resource,
    )}, '${BINDING_TAG}', '${entityRef}')"`;
  }
  const region = resource.split(':')[3];
  return `aws sagemaker add-tags --region ${region} --resource-arn ${resource} --tags Key=${BINDING_TAG},Value=${entityRef}`;
}

/**
 * Reads a resource's binding tag against the entity that names it in its annotations. `tagValues` are the values
 * of every binding tag the resource carries (none: unbound). Two different values are never a binding: only
 * one entity may act on a resource.
 */
export function evaluateBinding(
  kind: BindableKind,
  resource: string,
  entityRef: string,
  tagValues: string | undefined | string[],
): ResourceBinding {
  const label = `${LABELS[kind]} ${
    kind === 'registered-model' ? `'${resource}'` : resource
  }`;
  const command = bindCommand(kind, resource, entityRef);
  const values = [
    ...new Set(
      (Array.isArray(tagValues) ? tagValues : [tagValues]).filter(
        (v): v is string => v !== undefined,
      ),
    ),
  ];
  if (values.length === 0) {
    return {
      kind,
      resource,
      state: 'unbound',
      message: `${label} has no ${BINDING_TAG} tag, so it is not bound to ${entityRef}.`,
      command,
    };
  }
  if (
    values.length === 1 &&
    normalisedRef(values[0]) === normalisedRef(entityRef)
  ) {
    return { kind, resource, state: 'bound', boundTo: values[0] };
  }
  const boundTo = values.join("', '");
  return {
    kind,
    resource,
    state: 'bound-elsewhere',
    boundTo,
    message: `${label} is bound to '${boundTo}' by its ${BINDING_TAG} tag, not to ${entityRef}: only that entity may act on it.`,
    command,
  };
}

/** What to do about a resource that is not bound: run its command (who may, depends on its state). */
export function bindingFix(binding: ResourceBinding): string {
  if (!binding.command) return '';
  return binding.state === 'unbound'
    ? `To bind it, someone who may tag it runs: ${binding.command}`
    : `If this entity should act on it, the resource's owners change the tag: ${binding.command}`;
}

/** A binding's message and its fix, as an error or a log line says it. */
export const explainBinding = (binding: ResourceBinding) =>
  [binding.message, bindingFix(binding)].filter(Boolean).join(' ');

/** A binding that could not be read (the resource may not exist yet, or its tags may not be readable). */
export function unknownBinding(
  kind: BindableKind,
  resource: string,
  reason: string,
): ResourceBinding {
  return {
    kind,
    resource,
    state: 'unknown',
    message: `The ${BINDING_TAG} tag of ${LABELS[kind]} ${resource} could not be read: ${reason}`,
  };
}
