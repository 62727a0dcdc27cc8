import { isResourcePermission } from '@backstage/plugin-permission-common';
import { sagemakerMlflowPermissions } from './permissions';

describe('sagemakerMlflowPermissions', () => {
  it('are catalog-entity resource permissions with the contract names', () => {
    expect(sagemakerMlflowPermissions.map(p => p.name)).toEqual([
      'sagemaker-mlflow.pipeline.execute',
      'sagemaker-mlflow.model.approve',
      'sagemaker-mlflow.endpoint.invoke',
    ]);
    for (const permission of sagemakerMlflowPermissions) {
      expect(isResourcePermission(permission, 'catalog-entity')).toBe(true);
    }
  });
});
