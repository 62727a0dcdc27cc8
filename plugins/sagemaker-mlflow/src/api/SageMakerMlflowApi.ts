import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  DefaultApiClient,
  type TypedResponse,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import type {
  ApprovalRequest,
  ApprovalResult,
  EndpointExample,
  EndpointsResponse,
  ExecutionDetail,
  ExecutionsPage,
  InvocationResult,
  MlflowServersResponse,
  ModelVersionsPage,
  SageMakerOnlyVersionsPage,
  StartExecutionRequest,
  Summary,
  ValidationResult,
  VersionTimeline,
  VersionComparison,
} from '@model-factory/plugin-sagemaker-mlflow-common';

/** The Model Factory backend, for one entity at a time. The server decides what the entity's resources are. */
export interface SageMakerMlflowApi {
  getSummary(entity: CompoundEntityRef): Promise<Summary>;
  getExecutions(
    entity: CompoundEntityRef,
    page?: { pageSize?: number; pageToken?: string },
  ): Promise<ExecutionsPage>;
  getExecution(entity: CompoundEntityRef, id: string): Promise<ExecutionDetail>;
  startExecution(
    entity: CompoundEntityRef,
    request: StartExecutionRequest,
  ): Promise<{ executionArn: string }>;
  stopExecution(
    entity: CompoundEntityRef,
    id: string,
  ): Promise<{ executionArn: string }>;
  getModelVersions(
    entity: CompoundEntityRef,
    page?: { pageSize?: number; pageToken?: string },
  ): Promise<ModelVersionsPage>;
  /** The group's model packages that match no MLflow version: one page of the group's packages, newest first. */
  getSageMakerOnlyVersions(
    entity: CompoundEntityRef,
    page?: { pageSize?: number; pageToken?: string },
  ): Promise<SageMakerOnlyVersionsPage>;
  setApproval(
    entity: CompoundEntityRef,
    version: string,
    request: ApprovalRequest,
  ): Promise<ApprovalResult>;
  /** One version's history: commit, build, execution, run, registration, approval, deployments, validations. */
  getVersionTimeline(
    entity: CompoundEntityRef,
    version: string,
  ): Promise<VersionTimeline>;
  /** A version beside the model's champion: metrics, the gate its execution used, validation through both. */
  getVersionComparison(
    entity: CompoundEntityRef,
    version: string,
  ): Promise<VersionComparison>;
  getEndpoints(entity: CompoundEntityRef): Promise<EndpointsResponse>;
  getEndpointExample(
    entity: CompoundEntityRef,
    endpointName: string,
  ): Promise<EndpointExample>;
  invokeEndpoint(
    entity: CompoundEntityRef,
    endpointName: string,
    body: string,
    contentType: string,
  ): Promise<InvocationResult>;
  validateEndpoint(
    entity: CompoundEntityRef,
    endpointName: string,
  ): Promise<ValidationResult>;
  /** The tracking servers the portal is configured with (not entity-scoped). */
  getMlflowServers(): Promise<MlflowServersResponse>;
}

export const sagemakerMlflowApiRef = createApiRef<SageMakerMlflowApi>({
  id: 'plugin.sagemaker-mlflow.service',
});

/**
 * Talks to /api/sagemaker-mlflow with the signed-in user's token (fetchApi), through the client generated from
 * openapi.yaml.
 */
export class SageMakerMlflowClient implements SageMakerMlflowApi {
  private readonly client: DefaultApiClient;

  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {
    this.client = new DefaultApiClient(deps);
  }

  /** The answer's JSON, or the backend's error as a ResponseError. */
  private async read<T>(response: Promise<TypedResponse<T>>): Promise<T> {
    const res = await response;
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.json();
  }

  getMlflowServers() {
    return this.read(this.client.getMlflowServers({}));
  }

  getSummary(entity: CompoundEntityRef) {
    // The spec's sections (here and below) allow data and error together; the backend sends one (see Section).
    return this.read(
      this.client.getSummary({ path: entity }),
    ) as Promise<Summary>;
  }
  getExecutions(
    entity: CompoundEntityRef,
    page?: { pageSize?: number; pageToken?: string },
  ) {
    return this.read(
      this.client.getExecutions({ path: entity, query: { ...page } }),
    ) as Promise<ExecutionsPage>;
  }
  getExecution(entity: CompoundEntityRef, id: string) {
    return this.read(
      this.client.getExecution({ path: { ...entity, id } }),
    ) as Promise<ExecutionDetail>;
  }
  startExecution(entity: CompoundEntityRef, request: StartExecutionRequest) {
    return this.read(
      this.client.startExecution({ path: entity, body: request }),
    );
  }
  stopExecution(entity: CompoundEntityRef, id: string) {
    return this.read(this.client.stopExecution({ path: { ...entity, id } }));
  }
  getModelVersions(
    entity: CompoundEntityRef,
    page?: { pageSize?: number; pageToken?: string },
  ) {
    return this.read(
      this.client.getModelVersions({ path: entity, query: { ...page } }),
    ) as Promise<ModelVersionsPage>;
  }
  getSageMakerOnlyVersions(
    entity: CompoundEntityRef,
    page?: { pageSize?: number; pageToken?: string },
  ) {
    return this.read(
      this.client.getSageMakerOnlyVersions({
        path: entity,
        query: { ...page },
      }),
    );
  }
  setApproval(
    entity: CompoundEntityRef,
    version: string,
    request: ApprovalRequest,
  ) {
    return this.read(
      this.client.setApproval({ path: { ...entity, version }, body: request }),
    );
  }
  getVersionTimeline(entity: CompoundEntityRef, version: string) {
    return this.read(
      this.client.getVersionTimeline({ path: { ...entity, version } }),
    );
  }
  getVersionComparison(entity: CompoundEntityRef, version: string) {
    return this.read(
      this.client.getVersionComparison({ path: { ...entity, version } }),
    ) as Promise<VersionComparison>;
  }
  getEndpoints(entity: CompoundEntityRef) {
    return this.read(
      this.client.getEndpoints({ path: entity }),
    ) as Promise<EndpointsResponse>;
  }
  getEndpointExample(entity: CompoundEntityRef, endpointName: string) {
    return this.read(
      this.client.getEndpointExample({ path: { ...entity, endpointName } }),
    );
  }
  /**
   * Hand-written: the generated client sends every body as JSON, and an endpoint also takes raw CSV, which must
   * reach it as sent.
   */
  async invokeEndpoint(
    entity: CompoundEntityRef,
    endpointName: string,
    body: string,
    contentType: string,
  ): Promise<InvocationResult> {
    const base = await this.deps.discoveryApi.getBaseUrl('sagemaker-mlflow');
    const [namespace, kind, name, endpoint] = [
      entity.namespace,
      entity.kind,
      entity.name,
      endpointName,
    ].map(encodeURIComponent);
    return this.read(
      this.deps.fetchApi.fetch(
        `${base}/v1/entities/${namespace}/${kind}/${name}/endpoints/${endpoint}/invocations`,
        {
          method: 'POST',
          body,
          headers: { 'content-type': contentType },
        },
      ),
    );
  }
  validateEndpoint(entity: CompoundEntityRef, endpointName: string) {
    return this.read(
      this.client.validateEndpoint({ path: { ...entity, endpointName } }),
    );
  }
}
