import { Readable } from 'stream';
import type { AuthService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  DEFAULT_NAMESPACE,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type {
  DocumentCollatorFactory,
  IndexableDocument,
} from '@backstage/plugin-search-common';
import { ANNOTATION_REGISTERED_MODEL_NAME } from '@model-factory/plugin-sagemaker-mlflow-common';

/** A registered model (and, later, each of its versions) as the portal's search indexes it. */
export interface MlModelDocument extends IndexableDocument {
  modelName: string;
  entityRef: string;
  owner: string;
}

/** Indexes the registered model of every catalog entity annotated with one; documents of type `ml-model`. */
export class MlModelCollatorFactory implements DocumentCollatorFactory {
  readonly type = 'ml-model';
  // Search filters results by this permission on each document's entity, so visibility follows the catalog.
  readonly visibilityPermission = catalogEntityReadPermission;

  constructor(
    private readonly deps: { catalog: CatalogService; auth: AuthService },
  ) {}

  async getCollator(): Promise<Readable> {
    return Readable.from(this.documents());
  }

  private async *documents(): AsyncGenerator<MlModelDocument> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const pages = this.deps.catalog.streamEntities(
      {
        filter: {
          [`metadata.annotations.${ANNOTATION_REGISTERED_MODEL_NAME}`]:
            CATALOG_FILTER_EXISTS,
        },
      },
      { credentials },
    );
    for await (const page of pages) {
      for (const entity of page) {
        const modelName =
          entity.metadata.annotations?.[ANNOTATION_REGISTERED_MODEL_NAME];
        if (modelName) yield toDocument(entity, modelName);
      }
    }
  }
}

function toDocument(entity: Entity, modelName: string): MlModelDocument {
  const namespace = entity.metadata.namespace ?? DEFAULT_NAMESPACE;
  const entityRef = stringifyEntityRef(entity);
  return {
    title: modelName,
    text: entity.metadata.description ?? '',
    location: `/catalog/${namespace}/${entity.kind.toLocaleLowerCase(
      'en-US',
    )}/${entity.metadata.name}/sagemaker-mlflow`,
    modelName,
    entityRef,
    owner: String(entity.spec?.owner ?? ''),
    authorization: { resourceRef: entityRef },
  };
}
