import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import {
  SageMakerMlflowClient,
  sagemakerMlflowApiRef,
} from './api/SageMakerMlflowApi';

export const rootRouteRef = createRouteRef({ id: 'sagemaker-mlflow' });

/** The Model Factory plugin for legacy (createApp from @backstage/app-defaults) apps. */
export const sagemakerMlflowPlugin = createPlugin({
  id: 'sagemaker-mlflow',
  apis: [
    createApiFactory({
      api: sagemakerMlflowApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new SageMakerMlflowClient(deps),
    }),
  ],
  routes: { root: rootRouteRef },
});

/** Entity tab with the entity's pipeline executions, model versions and endpoints. */
export const EntitySageMakerMlflowContent = sagemakerMlflowPlugin.provide(
  createRoutableExtension({
    name: 'EntitySageMakerMlflowContent',
    component: () =>
      import('./components/EntitySageMakerMlflowContent').then(
        m => m.EntitySageMakerMlflowContent,
      ),
    mountPoint: rootRouteRef,
  }),
);

/** Overview card: latest execution, champion, endpoint health. */
export const EntitySageMakerMlflowCard = sagemakerMlflowPlugin.provide(
  createComponentExtension({
    name: 'EntitySageMakerMlflowCard',
    component: {
      lazy: () =>
        import('./components/EntitySageMakerMlflowCard').then(
          m => m.EntitySageMakerMlflowCard,
        ),
    },
  }),
);
