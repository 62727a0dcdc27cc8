import { createPermission } from '@backstage/plugin-permission-common';

// Resource permissions on catalog entities, so a policy can decide with catalog rules such as isEntityOwner.
const RESOURCE_TYPE = 'catalog-entity';

/** Start or stop an entity's SageMaker pipeline executions. */
export const pipelineExecutePermission = createPermission({
  name: 'sagemaker-mlflow.pipeline.execute',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE,
});

/** Approve or reject an entity's model versions. */
export const modelApprovePermission = createPermission({
  name: 'sagemaker-mlflow.model.approve',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE,
});

/** Send requests to an entity's endpoints (test console and validation). */
export const endpointInvokePermission = createPermission({
  name: 'sagemaker-mlflow.endpoint.invoke',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE,
});

export const sagemakerMlflowPermissions = [
  pipelineExecutePermission,
  modelApprovePermission,
  endpointInvokePermission,
];
