import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  Bound,
  EntityBinding,
  readEntityBinding,
} from '@model-factory/plugin-sagemaker-mlflow-node';

/** An entity the caller may read, and the resources its annotations name: the only ones a request may touch. */
export interface EntityContext {
  entity: Entity;
  entityRef: string;
  binding: EntityBinding;
  credentials: BackstageCredentials;
}

/** A missing or malformed annotation; the response names the annotation to fix. */
export class AnnotationError extends InputError {
  constructor(message: string, readonly annotation: string) {
    super(message);
  }
}

export class MissingAnnotationError extends NotFoundError {
  constructor(readonly annotation: string) {
    super(`This entity has no ${annotation} annotation`);
  }
}

/** Loads the entity with the caller's credentials: an entity they cannot read is a 404, like one that is absent. */
export async function loadEntityContext(
  catalog: CatalogService,
  ref: { namespace: string; kind: string; name: string },
  credentials: BackstageCredentials,
): Promise<EntityContext> {
  const entityRef = stringifyEntityRef(ref);
  const entity = await catalog.getEntityByRef(entityRef, { credentials });
  if (!entity) {
    throw new NotFoundError(`No entity ${entityRef}`);
  }
  return {
    entity,
    entityRef: stringifyEntityRef(entity),
    binding: readEntityBinding(entity),
    credentials,
  };
}

/** The value of a bound annotation, or the error that names it. */
export function required<T>(bound: Bound<T>, annotation: string): T {
  if (bound.state === 'bound') return bound.value;
  if (bound.state === 'invalid')
    throw new AnnotationError(bound.message, bound.annotation);
  throw new MissingAnnotationError(annotation);
}
