import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
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
  StartExecutionRequest,
  Summary,
  ValidationResult,
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
  setApproval(
    entity: CompoundEntityRef,
    version: string,
    request: ApprovalRequest,
  ): Promise<ApprovalResult>;
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

/** Talks to /api/sagemaker-mlflow with the signed-in user's token (fetchApi). */
export class SageMakerMlflowClient implements SageMakerMlflowApi {
  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  private async request<T>(
    entity: CompoundEntityRef,
    path: string,
    init?: {
      method?: string;
      body?: string;
      contentType?: string;
      query?: Record<string, string | number | undefined>;
    },
  ): Promise<T> {
    const base = await this.deps.discoveryApi.getBaseUrl('sagemaker-mlflow');
    const ref = [entity.namespace, entity.kind, entity.name]
      .map(encodeURIComponent)
      .join('/');
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(init?.query ?? {})) {
      if (value !== undefined) query.set(key, String(value));
    }
    return this.fetchJson<T>(
      `${base}/v1/entities/${ref}/${path}${query.size ? `?${query}` : ''}`,
      {
        method: init?.method ?? 'GET',
        body: init?.body,
        headers:
          init?.body !== undefined
            ? { 'content-type': init.contentType ?? 'application/json' }
            : undefined,
      },
    );
  }

  private async fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
    const res = await this.deps.fetchApi.fetch(url, init);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }

  async getMlflowServers() {
    const base = await this.deps.discoveryApi.getBaseUrl('sagemaker-mlflow');
    return this.fetchJson<MlflowServersResponse>(`${base}/v1/mlflow-servers`);
  }

  getSummary(entity: CompoundEntityRef) {
    return this.request<Summary>(entity, 'summary');
  }
  getExecutions(
    entity: CompoundEntityRef,
    page?: { pageSize?: number; pageToken?: string },
  ) {
    return this.request<ExecutionsPage>(entity, 'executions', { query: page });
  }
  getExecution(entity: CompoundEntityRef, id: string) {
    return this.request<ExecutionDetail>(
      entity,
      `executions/${encodeURIComponent(id)}`,
    );
  }
  startExecution(entity: CompoundEntityRef, request: StartExecutionRequest) {
    return this.request<{ executionArn: string }>(entity, 'executions', {
      method: 'POST',
      body: JSON.stringify(request),
    });
  }
  stopExecution(entity: CompoundEntityRef, id: string) {
    return this.request<{ executionArn: string }>(
      entity,
      `executions/${encodeURIComponent(id)}/stop`,
      { method: 'POST' },
    );
  }
  getModelVersions(
    entity: CompoundEntityRef,
    page?: { pageSize?: number; pageToken?: string },
  ) {
    return this.request<ModelVersionsPage>(entity, 'model-versions', {
      query: page,
    });
  }
  setApproval(
    entity: CompoundEntityRef,
    version: string,
    request: ApprovalRequest,
  ) {
    return this.request<ApprovalResult>(
      entity,
      `model-versions/${encodeURIComponent(version)}/approval`,
      {
        method: 'POST',
        body: JSON.stringify(request),
      },
    );
  }
  getEndpoints(entity: CompoundEntityRef) {
    return this.request<EndpointsResponse>(entity, 'endpoints');
  }
  getEndpointExample(entity: CompoundEntityRef, endpointName: string) {
    return this.request<EndpointExample>(
      entity,
      `endpoints/${encodeURIComponent(endpointName)}/example`,
    );
  }
  invokeEndpoint(
    entity: CompoundEntityRef,
    endpointName: string,
    body: string,
    contentType: string,
  ) {
    return this.request<InvocationResult>(
      entity,
      `endpoints/${encodeURIComponent(endpointName)}/invocations`,
      {
        method: 'POST',
        body,
        contentType,
      },
    );
  }
  validateEndpoint(entity: CompoundEntityRef, endpointName: string) {
    return this.request<ValidationResult>(
      entity,
      `endpoints/${encodeURIComponent(endpointName)}/validation`,
      { method: 'POST' },
    );
  }
}
