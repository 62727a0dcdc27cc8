import type { ResourceBinding } from './schema/openapi/generated';

/**
 * The tag that binds a SageMaker pipeline, model package group or endpoint, or an MLflow registered model, to the
 * one catalog entity that may act on it. Its value is that entity's ref (`component:default/churn-model`).
 * Annotations only name resources; a write needs the resource to name the entity back with this tag, which only
 * someone who may tag the resource (its creator, the platform team) can set.
 */
export const BINDING_TAG = 'backstage.io/entity-ref';

// Whether a resource an entity's annotations name also names the entity back (defined in openapi.yaml).
export type { ResourceBinding } from './schema/openapi/generated';

/** A resource that a binding tag can bind: what the tab shows and a write checks. */
export type BindableKind = ResourceBinding['kind'];
