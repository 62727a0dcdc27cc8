import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  DEFAULT_NAMESPACE,
  Entity,
  EntityLink,
  makeValidator,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ANNOTATION_CHAMPION_VERSION,
  ANNOTATION_LATEST_VERSION,
  ANNOTATION_MODEL_PACKAGE_GROUP_ARN,
  ANNOTATION_REGISTERED_MODEL_NAME,
  ANNOTATION_TRACKING_SERVER,
  BINDING_TAG,
  LABEL_UNOWNED,
  MODEL_RESOURCE_TYPE,
  mlflowModelEntityName,
  sagemakerModelEntityName,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  bindsEntity,
  championOf,
  readEntityBinding,
  type MlflowRegisteredModel,
} from '@model-factory/plugin-sagemaker-mlflow-node';

/** Tags a source gives that are not valid Backstage tags, as JSON `{key: value}`: nothing is dropped. */
export const ANNOTATION_MLFLOW_TAGS = 'mlflow.org/tags';
export const ANNOTATION_SAGEMAKER_TAGS = 'aws.amazon.com/sagemaker-tags';
/** Why a model is unowned: nobody binds it, or what its binding tag claims and why that does not count. */
export const ANNOTATION_UNOWNED_REASON = 'model-factory.io/unowned-reason';

const validator = makeValidator();
// An annotation value can be any length; a runaway tag set should not make every entity huge.
const MAX_TAGS_ANNOTATION = 8192;

/** The component a model is bound to both ways, and that component's owner. */
export interface ModelOwnership {
  componentRef: string;
  owner: string;
}

/**
 * The one entity ref the binding tag values name (exactly one distinct, parseable value), else undefined: two
 * different values bind nothing, as for writes.
 */
export function claimedEntityRef(tagValues: string[]): string | undefined {
  const distinct = [...new Set(tagValues.map(v => v.trim()).filter(Boolean))];
  if (distinct.length !== 1) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(distinct[0], {
        defaultKind: 'component',
        defaultNamespace: DEFAULT_NAMESPACE,
      }),
    ).toLocaleLowerCase('en-US');
  } catch {
    return undefined;
  }
}

/**
 * The ownership a model gets from the component its binding tag claims, only if that component's annotations
 * name the model back (two-way binding): a tag alone is anyone's claim, the annotations are the owner's. Only a
 * `Component` can own a model: the model's own entity (from the previous run) also names it back.
 */
export function ownershipOf(
  tagValues: string[],
  component: Entity | undefined,
  namesBack: (component: Entity) => boolean,
): ModelOwnership | { reason: string } {
  const claimed = claimedEntityRef(tagValues);
  if (!claimed) {
    return {
      reason:
        tagValues.length === 0
          ? `no ${BINDING_TAG} tag`
          : `the ${BINDING_TAG} tag does not name one entity`,
    };
  }
  if (
    parseEntityRef(claimed).kind !== 'component' ||
    (component && component.kind.toLocaleLowerCase('en-US') !== 'component')
  ) {
    return {
      reason: `${claimed} is not a component (only a component can own a model)`,
    };
  }
  if (!component) return { reason: `${claimed} is not in the catalog` };
  const componentRef = stringifyEntityRef(component);
  if (!bindsEntity(tagValues, componentRef) || !namesBack(component)) {
    return {
      reason: `${componentRef} does not name this model in its annotations`,
    };
  }
  const owner = component.spec?.owner;
  if (typeof owner !== 'string' || !owner.trim()) {
    return { reason: `${componentRef} has no owner` };
  }
  try {
    return {
      componentRef,
      // A relative owner is relative to the component, not to the model's namespace.
      owner: stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: component.metadata.namespace ?? DEFAULT_NAMESPACE,
        }),
      ),
    };
  } catch {
    return { reason: `${componentRef} has an invalid owner` };
  }
}

/** Whether a component's annotations name this MLflow registered model (same server, same name). */
export const namesMlflowModel =
  (server: string, modelName: string) => (component: Entity) => {
    const binding = readEntityBinding(component);
    return (
      binding.trackingServer === server &&
      binding.registeredModelName.state === 'bound' &&
      binding.registeredModelName.value === modelName
    );
  };

/** Whether a component's annotations name this SageMaker model package group (same ARN). */
export const namesModelPackageGroup = (arn: string) => (component: Entity) => {
  const binding = readEntityBinding(component);
  return (
    binding.modelPackageGroup.state === 'bound' &&
    binding.modelPackageGroup.value.arn === arn
  );
};

/** Source tags as Backstage tags where valid (`key`, or `key:value`); the rest as one JSON annotation. */
function splitTags(tags: Array<{ key: string; value: string }>): {
  tags: string[];
  rest?: string;
} {
  const valid = new Set<string>();
  const rest: Record<string, string> = {};
  for (const { key, value } of tags) {
    const candidate = !value || value === 'true' ? key : `${key}:${value}`;
    if (key !== BINDING_TAG && validator.isValidTag(candidate))
      valid.add(candidate);
    else rest[key] = value;
  }
  // Whole entries only, so the annotation stays valid JSON however large the tags are.
  const kept: Record<string, string> = {};
  let size = 2;
  for (const [key, value] of Object.entries(rest)) {
    size += JSON.stringify(key).length + JSON.stringify(value).length + 2;
    if (size > MAX_TAGS_ANNOTATION) break;
    kept[key] = value;
  }
  return {
    tags: [...valid].sort(),
    rest: Object.keys(kept).length ? JSON.stringify(kept) : undefined,
  };
}

interface CommonInput {
  name: string;
  title: string;
  description?: string;
  tags: Array<{ key: string; value: string }>;
  tagsAnnotation: string;
  annotations: Record<string, string | undefined>;
  sourceUrl: string;
  links: EntityLink[];
  ownership: ModelOwnership | { reason: string };
  defaultOwner: string;
}

function modelEntity(input: CommonInput): Entity {
  const { tags, rest } = splitTags(input.tags);
  const owned = 'owner' in input.ownership ? input.ownership : undefined;
  const annotations: Record<string, string> = {
    [ANNOTATION_LOCATION]: `url:${input.sourceUrl}`,
    [ANNOTATION_ORIGIN_LOCATION]: `url:${input.sourceUrl}`,
  };
  for (const [key, value] of Object.entries({
    ...input.annotations,
    [input.tagsAnnotation]: rest,
    [ANNOTATION_UNOWNED_REASON]:
      'reason' in input.ownership ? input.ownership.reason : undefined,
  })) {
    if (value) annotations[key] = value;
  }
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: input.name,
      namespace: DEFAULT_NAMESPACE,
      title: input.title,
      ...(input.description ? { description: input.description } : {}),
      ...(tags.length ? { tags } : {}),
      ...(owned ? {} : { labels: { [LABEL_UNOWNED]: 'true' } }),
      annotations,
      links: input.links,
    },
    spec: {
      type: MODEL_RESOURCE_TYPE,
      owner: owned?.owner ?? input.defaultOwner,
      ...(owned ? { dependencyOf: [owned.componentRef] } : {}),
    },
  };
}

export const mlflowModelUrl = (uiUrl: string, modelName: string) =>
  `${uiUrl}/#/models/${encodeURIComponent(modelName)}`;

/** The newest version among those the registered model lists (MLflow: the newest of each stage). */
function latestVersion(model: MlflowRegisteredModel): string | undefined {
  const versions = (model.latest_versions ?? []).map(v => Number(v.version));
  return versions.length ? String(Math.max(...versions)) : undefined;
}

/** An MLflow registered model of a configured tracking server as its Resource entity. */
export function mlflowModelEntity(input: {
  server: { name: string; uiUrl: string };
  model: MlflowRegisteredModel;
  ownership: ModelOwnership | { reason: string };
  defaultOwner: string;
}): Entity {
  const { server, model } = input;
  const url = mlflowModelUrl(server.uiUrl, model.name);
  return modelEntity({
    name: mlflowModelEntityName(server.name, model.name),
    title: model.name,
    description: model.description,
    tags: model.tags ?? [],
    tagsAnnotation: ANNOTATION_MLFLOW_TAGS,
    annotations: {
      [ANNOTATION_REGISTERED_MODEL_NAME]: model.name,
      [ANNOTATION_TRACKING_SERVER]: server.name,
      [ANNOTATION_LATEST_VERSION]: latestVersion(model),
      [ANNOTATION_CHAMPION_VERSION]: championOf(model)?.version,
    },
    sourceUrl: url,
    links: [{ url, title: 'MLflow registered model', icon: 'dashboard' }],
    ownership: input.ownership,
    defaultOwner: input.defaultOwner,
  });
}

// Deep link into the SageMaker console's model registry (as the backend plugin's consoleUrls.ts, which this
// module cannot import: it is not part of a published library).
export const modelPackageGroupConsoleUrl = (
  region: string,
  groupName: string,
) =>
  `https://${region}.console.aws.amazon.com/sagemaker/home?region=${region}#/model-packages/${encodeURIComponent(
    groupName,
  )}`;

/** A SageMaker model package group as its Resource entity. */
export function sagemakerModelEntity(input: {
  accountId: string;
  region: string;
  group: {
    arn: string;
    name: string;
    description?: string;
    tags: Array<{ Key?: string; Value?: string }>;
  };
  /** ModelPackageVersion of the newest package, and of the newest Approved one. */
  latestVersion?: number;
  approvedVersion?: number;
  ownership: ModelOwnership | { reason: string };
  defaultOwner: string;
}): Entity {
  const { group } = input;
  const url = modelPackageGroupConsoleUrl(input.region, group.name);
  return modelEntity({
    name: sagemakerModelEntityName(input.accountId, input.region, group.name),
    title: group.name,
    description: group.description,
    tags: group.tags.map(t => ({ key: t.Key ?? '', value: t.Value ?? '' })),
    tagsAnnotation: ANNOTATION_SAGEMAKER_TAGS,
    annotations: {
      [ANNOTATION_MODEL_PACKAGE_GROUP_ARN]: group.arn,
      [ANNOTATION_LATEST_VERSION]: input.latestVersion?.toString(),
      [ANNOTATION_CHAMPION_VERSION]: input.approvedVersion?.toString(),
    },
    sourceUrl: url,
    links: [{ url, title: 'SageMaker model package group', icon: 'dashboard' }],
    ownership: input.ownership,
    defaultOwner: input.defaultOwner,
  });
}
