import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { sagemakerMlflowPermissions } from '@model-factory/plugin-sagemaker-mlflow-common';
import { createRouter } from './router';

/**
 * The Model Factory backend plugin: entity-scoped SageMaker and MLflow routes under /api/sagemaker-mlflow.
 *
 * @public
 */
export const sagemakerMlflowPlugin = createBackendPlugin({
  pluginId: 'sagemaker-mlflow',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        permissionsRegistry: coreServices.permissionsRegistry,
      },
      async init({ httpRouter, permissionsRegistry }) {
        permissionsRegistry.addPermissions(sagemakerMlflowPermissions);
        httpRouter.use(await createRouter());
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
