import { ListTagsCommand } from '@aws-sdk/client-sagemaker';
import { Readable } from 'stream';
import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
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
import {
  ANNOTATION_REGISTERED_MODEL_NAME,
  entityTabPath,
  MODEL_RESOURCE_TYPE,
  TAG_MODEL_PACKAGE_ARN,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import {
  aliasesByVersion,
  awsCall,
  EntityBinding,
  evaluateBinding,
  explainBinding,
  indexedMetricsOf,
  listModelPackages,
  mlflowBindingTags,
  MlflowClients,
  readEntityBinding,
  sagemakerBindingTags,
  SageMakerClients,
  sourceRunsOf,
  stageOf,
  versionsOf,
} from '@model-factory/plugin-sagemaker-mlflow-node';

/** A registered model or one of its versions, as the portal's search indexes it (document type `ml-model`). */
export interface MlModelDocument extends IndexableDocument {
  /** `model` for the registered model, `version` for one version. */
  docKind: 'model' | 'version';
  modelName: string;
  /** The MLflow tracking server's config name: with modelName, names the model's catalog entity. */
  trackingServer: string;
  /** Empty for the model document. */
  version: string;
  /** Space-separated aliases, e.g. `champion`. */
  aliases: string;
  /** The version's MLflow 2.x registry stage (Staging, Production, Archived); empty for None and the model. */
  stage: string;
  /** SageMaker approval of the version's model package, when linked. */
  approvalStatus: string;
  /** `key=value` pairs, space-separated (search engines index flat text). */
  tags: string;
  metrics: string;
  owner: string;
  entityRef: string;
}

const DEFAULT_VERSIONS_PAGE = 200;
const pairs = (entries: Array<[string, string | number]>) =>
  entries.map(([k, v]) => `${k}=${v}`).join(' ');

/**
 * Indexes, for every catalog entity that names an MLflow registered model, the model and each of its versions.
 * Documents stream out one page of versions at a time, so memory does not grow with the number of versions.
 */
export class MlModelCollatorFactory implements DocumentCollatorFactory {
  readonly type = 'ml-model';
  // Search filters results by this permission on each document's entity, so visibility follows the catalog.
  readonly visibilityPermission = catalogEntityReadPermission;

  constructor(
    private readonly deps: {
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
      mlflow: MlflowClients;
      sagemaker?: SageMakerClients;
      /** Versions per MLflow search (and per run-metrics search); 200 unless set. */
      versionsPageSize?: number;
      /** Index only models whose binding tag names the entity (`sagemakerMlflow.binding.requireForReads`). */
      requireBinding?: boolean;
    },
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
        // A model's own catalog entity (catalog module sagemaker-mlflow-models) names it too: index it once, with the
        // component that owns it.
        if (
          entity.kind === 'Resource' &&
          entity.spec?.type === MODEL_RESOURCE_TYPE
        )
          continue;
        const binding = readEntityBinding(entity);
        if (binding.registeredModelName.state !== 'bound') continue;
        try {
          yield* this.modelDocuments(
            entity,
            binding,
            binding.registeredModelName.value,
          );
        } catch (error) {
          // One unreachable or misconfigured model must not keep the others out of search.
          this.deps.logger.warn(
            `Not indexing ${
              binding.registeredModelName.value
            } of ${stringifyEntityRef(entity)}: ${error}`,
          );
        }
      }
    }
  }

  private async *modelDocuments(
    entity: Entity,
    binding: EntityBinding,
    modelName: string,
  ): AsyncGenerator<MlModelDocument> {
    const client = this.deps.mlflow.forServer(binding.trackingServer);
    const [model, approvals, experimentId] = await Promise.all([
      client.getRegisteredModel(modelName),
      // Without SageMaker the model and versions are still worth finding; only their approval is unknown.
      this.approvals(entity, binding).catch(error => {
        this.deps.logger.warn(
          `Indexing ${modelName} without approval states: ${error}`,
        );
        return new Map<string, string>();
      }),
      binding.experimentName.state === 'bound'
        ? client.getExperimentByName(binding.experimentName.value).then(
            e => e.experiment_id,
            () => undefined,
          )
        : undefined,
    ]);
    if (this.deps.requireBinding) {
      const bound = evaluateBinding(
        'registered-model',
        modelName,
        stringifyEntityRef(entity),
        mlflowBindingTags(model.tags),
      );
      if (bound.state !== 'bound') {
        this.deps.logger.info(`Not indexing: ${explainBinding(bound)}`);
        return;
      }
    }
    const aliases = aliasesByVersion(model.aliases);
    const base = {
      ...baseFields(entity, modelName),
      trackingServer: binding.trackingServer,
    };
    yield {
      ...base,
      docKind: 'model',
      title: modelName,
      text: model.description ?? entity.metadata.description ?? '',
      location: tabUrl(entity),
      version: '',
      aliases: (model.aliases ?? []).map(a => a.alias).join(' '),
      stage: '',
      approvalStatus: '',
      tags: pairs((model.tags ?? []).map(t => [t.key, t.value])),
      metrics: '',
    };

    let pageToken: string | undefined;
    do {
      const page = await client.searchModelVersions({
        filter: versionsOf(modelName),
        maxResults: this.deps.versionsPageSize ?? DEFAULT_VERSIONS_PAGE,
        pageToken,
      });
      const runs = await sourceRunsOf(
        client,
        page.items,
        experimentId ? [experimentId] : [],
      );
      for (const v of page.items) {
        const tags = (v.tags ?? []).filter(
          t => t.key !== TAG_MODEL_PACKAGE_ARN,
        );
        const packageArn = v.tags?.find(
          t => t.key === TAG_MODEL_PACKAGE_ARN,
        )?.value;
        const versionAliases = aliases.get(v.version) ?? [];
        const stage = stageOf(v) ?? '';
        yield {
          ...base,
          docKind: 'version',
          title: `${modelName} v${v.version}`,
          text: [
            v.description,
            versionAliases.map(a => `@${a}`).join(' '),
            stage,
          ]
            .filter(Boolean)
            .join(' '),
          location: `${tabUrl(entity)}#model-version-${v.version}`,
          version: v.version,
          aliases: versionAliases.join(' '),
          stage,
          approvalStatus: (packageArn && approvals.get(packageArn)) || '',
          tags: pairs(tags.map(t => [t.key, t.value])),
          metrics: pairs(
            Object.entries(
              indexedMetricsOf(runs.get(v.run_id ?? '')?.metrics ?? {}),
            ),
          ),
        };
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /** Approval status by model package ARN for the entity's group (one model's packages, page by page). */
  private async approvals(
    entity: Entity,
    binding: EntityBinding,
  ): Promise<Map<string, string>> {
    const approvals = new Map<string, string>();
    if (!this.deps.sagemaker || binding.modelPackageGroup.state !== 'bound')
      return approvals;
    const group = binding.modelPackageGroup.value;
    const sagemaker = await this.deps.sagemaker.sagemaker(group);
    if (this.deps.requireBinding) {
      const tags = await awsCall('SageMaker ListTags', () =>
        sagemaker.send(new ListTagsCommand({ ResourceArn: group.arn })),
      );
      const bound = evaluateBinding(
        'model-package-group',
        group.arn,
        stringifyEntityRef(entity),
        sagemakerBindingTags(tags.Tags),
      );
      if (bound.state !== 'bound') throw new Error(explainBinding(bound));
    }
    const packages = await listModelPackages(sagemaker, group);
    for (const [arn, p] of packages)
      approvals.set(arn, p.ModelApprovalStatus ?? '');
    return approvals;
  }
}

function tabUrl(entity: Entity): string {
  return entityTabPath({
    kind: entity.kind,
    namespace: entity.metadata.namespace ?? DEFAULT_NAMESPACE,
    name: entity.metadata.name,
  });
}

function baseFields(entity: Entity, modelName: string) {
  const entityRef = stringifyEntityRef(entity);
  return {
    modelName,
    owner: String(entity.spec?.owner ?? ''),
    entityRef,
    authorization: { resourceRef: entityRef },
  };
}
