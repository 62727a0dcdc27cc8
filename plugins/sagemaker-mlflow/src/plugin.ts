import {
  createPlugin,
  createRoutableExtension,
  createRouteRef,
} from '@backstage/core-plugin-api';

export const rootRouteRef = createRouteRef({ id: 'sagemaker-mlflow' });

/** The Model Factory plugin for legacy (createApp from @backstage/app-defaults) apps. */
export const sagemakerMlflowPlugin = createPlugin({
  id: 'sagemaker-mlflow',
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
