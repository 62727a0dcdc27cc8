/**
 * The tag that binds a SageMaker pipeline, model package group or endpoint, or an MLflow registered model, to the
 * one catalog entity that may act on it. Its value is that entity's ref (`component:default/churn-model`).
 * Annotations only name resources; a write needs the resource to name the entity back with this tag, which only
 * someone who may tag the resource (its creator, the platform team) can set.
 */
export const BINDING_TAG = 'backstage.io/entity-ref';

/** A resource that a binding tag can bind: what the tab shows and a write checks. */
export type BindableKind =
  | 'pipeline'
  | 'model-package-group'
  | 'endpoint'
  | 'registered-model';

/**
 * Whether a resource an entity's annotations name also names the entity back. `bound`: its binding tag is this
 * entity's ref; `unbound`: it has no binding tag; `bound-elsewhere`: the tag names another entity; `unknown`: its
 * tags could not be read (it may not exist yet). Only a `bound` resource may be acted on.
 */
export interface ResourceBinding {
  kind: BindableKind;
  /** The SageMaker ARN, or the MLflow registered model's name. */
  resource: string;
  state: 'bound' | 'unbound' | 'bound-elsewhere' | 'unknown';
  /** The entity the tag names, when it names one. */
  boundTo?: string;
  /** When not bound: what is wrong. */
  message?: string;
  /** When unbound or bound elsewhere: who may bind it to this entity, introducing `command`. */
  fix?: string;
  /** The command that binds it to this entity. */
  command?: string;
}
