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

/**
 * A word for a POSIX shell: single-quoted, with each single quote closed, escaped and reopened. The command is run by
 * whoever may tag the resource, and names come from catalog files anyone may write: no value may be read as shell.
 */
export const shellQuote = (value: string) =>
  `'${value.replace(/'/g, `'\\''`)}'`;

/** The command that binds the resource to the entity, run by someone allowed to tag it (not by the portal). */
function bindCommand(
  kind: BindableKind,
  resource: string,
  entityRef: string,
): string {
  if (kind === 'registered-model') {
    // The values go in as arguments, never into the Python source.
    return `MLFLOW_TRACKING_URI=${shellQuote(
      '<tracking server URL>',
    )} python -c ${shellQuote(
      'import sys, mlflow; mlflow.MlflowClient().set_registered_model_tag(*sys.argv[1:])',
    )} ${[resource, BINDING_TAG, entityRef].map(shellQuote).join(' ')}`;
  }
  const region = resource.split(':')[3];
  return `aws sagemaker add-tags --region ${shellQuote(
    region,
  )} --resource-arn ${shellQuote(resource)} --tags ${shellQuote(
    `Key=${BINDING_TAG},Value=${entityRef}`,
  )}`;
}

/** The binding tag values among a SageMaker resource's tags (a key can repeat in some emulators). */
export const sagemakerBindingTags = (
  tags: Array<{ Key?: string; Value?: string }> = [],
) => tags.filter(t => t.Key === BINDING_TAG).map(t => t.Value ?? '');

/** The binding tag values among an MLflow entity's tags. */
export const mlflowBindingTags = (
  tags: Array<{ key: string; value: string }> = [],
) => tags.filter(t => t.key === BINDING_TAG).map(t => t.value);

/** The distinct, non-blank binding tag values: none means unbound. */
const distinctValues = (tagValues: string | undefined | string[]) => [
  ...new Set(
    (Array.isArray(tagValues) ? tagValues : [tagValues]).filter(
      (v): v is string => !!v?.trim(),
    ),
  ),
];

/**
 * Whether binding tag values bind the entity: exactly one distinct value, naming it as the catalog names refs.
 * Two different values are never a binding: only one entity may act on a resource.
 */
export function bindsEntity(
  tagValues: string | undefined | string[],
  entityRef: string,
): boolean {
  const values = distinctValues(tagValues);
  return (
    values.length === 1 && normalisedRef(values[0]) === normalisedRef(entityRef)
  );
}

/**
 * Reads a resource's binding tag against the entity that names it in its annotations. `tagValues` are the values
 * of every binding tag the resource carries (none, or only blank ones: unbound).
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
  const values = distinctValues(tagValues);
  if (values.length === 0) {
    return {
      kind,
      resource,
      state: 'unbound',
      message: `${label} has no ${BINDING_TAG} tag, so it is not bound to ${entityRef}.`,
      fix: 'To bind it, someone who may tag it runs:',
      command,
    };
  }
  if (bindsEntity(values, entityRef)) {
    return { kind, resource, state: 'bound', boundTo: values[0] };
  }
  const boundTo = values.join("', '");
  return {
    kind,
    resource,
    state: 'bound-elsewhere',
    boundTo,
    message: `${label} is bound to '${boundTo}' by its ${BINDING_TAG} tag, not to ${entityRef}: only that entity may act on it.`,
    fix: "If this entity should act on it, the resource's owners change the tag:",
    command,
  };
}

/** A binding's message and its fix, as an error or a log line says it. */
export const explainBinding = (binding: ResourceBinding) =>
  [binding.message, binding.fix, binding.command].filter(Boolean).join(' ');

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
