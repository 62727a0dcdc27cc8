/**
 * The catalog entities of models (`kind: Resource`, `spec.type: ml-model`) that the catalog module
 * `sagemaker-mlflow-models` ingests: their names, computed the same way by the provider and by the frontend, which
 * links to them.
 */

/** The `spec.type` of a model's Resource entity. */
export const MODEL_RESOURCE_TYPE = 'ml-model';

/** Label set on a model entity that no component binds (both ways): platform teams find orphans by it. */
export const LABEL_UNOWNED = 'model-factory.io/unowned';
/** Annotations of a model entity: its newest version and its champion version (absent when it has none). */
export const ANNOTATION_LATEST_VERSION = 'model-factory.io/latest-version';
export const ANNOTATION_CHAMPION_VERSION = 'model-factory.io/champion-version';

// Backstage's object names: 1-63 characters of [A-Za-z0-9-_.], starting and ending with a letter or digit.
const MAX_NAME = 63;
const VALID_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/**
 * cyrb53, a 53-bit string hash that runs the same in the browser and in Node (no crypto module): only to keep
 * names that normalise alike apart, not a security boundary (the provider also drops a duplicate name in one run).
 */
function hash53(value: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const n = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return n.toString(36).padStart(11, '0');
}

/**
 * A valid, lowercase entity name for `parts` joined with `-`. Kept as is when already valid and lowercase; otherwise
 * (capitals, other characters, too long) normalised, lowercased and given a hash of the original parts, so two
 * sources that normalise alike still differ. Entity refs ignore case, MLflow names do not: `Churn` and `churn` must
 * not become names that differ only by case.
 */
export function normalisedEntityName(parts: string[]): string {
  const raw = parts.join('-');
  if (VALID_NAME.test(raw) && raw === raw.toLowerCase()) return raw;
  const suffix = `-${hash53(parts.join('\u0000'))}`;
  const cleaned = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // é → e
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/[-_.]{2,}/g, '-')
    .slice(0, MAX_NAME - suffix.length)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .toLowerCase();
  return `${cleaned || 'model'}${suffix}`;
}

/** The entity name of an MLflow registered model of a configured tracking server (by the server's config name). */
export function mlflowModelEntityName(
  trackingServer: string,
  registeredModelName: string,
): string {
  return normalisedEntityName(['mlflow', trackingServer, registeredModelName]);
}

/** The entity name of a SageMaker model package group of an account and region. */
export function sagemakerModelEntityName(
  accountId: string,
  region: string,
  modelPackageGroupName: string,
): string {
  return normalisedEntityName([
    'sagemaker',
    accountId,
    region,
    modelPackageGroupName,
  ]);
}

/** The portal path of a model's Resource entity page (model entities live in the default namespace). */
export function modelEntityPath(name: string): string {
  return `/catalog/default/resource/${encodeURIComponent(name)}`;
}
