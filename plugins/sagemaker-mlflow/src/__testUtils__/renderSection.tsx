import { alertApiRef } from '@backstage/core-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  MockPermissionApi,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import type {
  ModelPackageRef,
  ModelVersion,
  PipelineExecution,
  ResourceBinding,
  SectionError,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { ReactElement } from 'react';
import { SWRConfig } from 'swr';
import {
  SageMakerMlflowApi,
  sagemakerMlflowApiRef,
} from '../api/SageMakerMlflowApi';

export const demoEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'demo-model',
    namespace: 'default',
    annotations: {
      'aws.amazon.com/sagemaker-pipeline-arn':
        'arn:aws:sagemaker:us-east-1:123456789012:pipeline/demo-model-pipeline',
      'aws.amazon.com/sagemaker-endpoint-arns':
        'arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo-model-staging',
      'mlflow.org/registered-model-name': 'demo-model',
    },
  },
  spec: { owner: 'group:default/ml-platform' },
};

export const executionArn = (id: string) =>
  `arn:aws:sagemaker:us-east-1:123456789012:pipeline/demo-model-pipeline/execution/${id}`;

export const execution = (id: string, status: string): PipelineExecution => ({
  arn: executionArn(id),
  id,
  displayName: `run-${id}`,
  status,
  startTime: '2026-11-01T10:00:00.000Z',
  durationMs: 125_000,
  consoleUrl: `https://console/${id}`,
});

export const version = (v: string, aliases: string[] = []): ModelVersion => ({
  version: v,
  aliases,
  tags: {},
  metrics: { accuracy: 0.9 + Number(v) / 100 },
  runId: `run${v}abcdef`,
  runUrl: `http://mlflow/#/runs/run${v}`,
});

/** The SageMaker model package registered for MLflow version `v`. */
export const modelPackage = (
  v: string,
  approvalStatus: string,
): ModelPackageRef => ({
  arn: `arn:aws:sagemaker:us-east-1:123456789012:model-package/demo-model/${v}`,
  approvalStatus,
  version: Number(v),
  consoleUrl: 'https://console/pkg',
});

/** A section's error as the backend sends it (the name follows the code, as the backend's errors do). */
export const sectionError = (
  code: SectionError['code'],
  message: string,
  extra: Partial<SectionError> = {},
): SectionError => ({
  code,
  name: code === 'not-found' ? 'NotFoundError' : 'UpstreamError',
  message,
  ...extra,
});

/**
 * Renders a section of the tab for the demo entity with a stand-in for the backend API (the real API is exercised
 * end to end in e2e/) and a permission API that allows or denies every write.
 */
export async function renderSection(
  element: ReactElement,
  api: Partial<SageMakerMlflowApi>,
  options: { allowWrites: boolean; entity?: Entity } = { allowWrites: true },
) {
  const alerts = { post: jest.fn(), alert$: jest.fn() };
  const permissions = new MockPermissionApi(() =>
    options.allowWrites ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
  );
  const rendered = await renderInTestApp(
    <TestApiProvider
      apis={[
        [sagemakerMlflowApiRef, api],
        [permissionApiRef, permissions],
        [alertApiRef, alerts],
      ]}
    >
      {/* usePermission caches decisions in SWR; a fresh cache per render keeps allow and deny tests apart */}
      <SWRConfig value={{ provider: () => new Map() }}>
        <EntityProvider entity={options.entity ?? demoEntity}>
          {element}
        </EntityProvider>
      </SWRConfig>
    </TestApiProvider>,
  );
  return { ...rendered, alerts };
}

/** A resource's binding as the backend reports it: by default bound to the demo entity. */
export const binding = (
  kind: ResourceBinding['kind'],
  resource: string,
  state: ResourceBinding['state'] = 'bound',
): ResourceBinding =>
  state === 'bound'
    ? { kind, resource, state, boundTo: 'component:default/demo-model' }
    : {
        kind,
        resource,
        state,
        message: `${resource} has no backstage.io/entity-ref tag, so it is not bound to component:default/demo-model.`,
        fix: 'To bind it, someone who may tag it runs:',
        command: `aws sagemaker add-tags --resource-arn ${resource}`,
      };
