import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import { createSearchResultListItemExtension } from '@backstage/plugin-search-react';
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
import { MlflowTrackingServerPicker } from './components/scaffolder/MlflowTrackingServerPicker';

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

/** Template form field `MlflowTrackingServerPicker`: a tracking server from the portal's config. */
export const MlflowTrackingServerPickerFieldExtension =
  sagemakerMlflowPlugin.provide(
    createScaffolderFieldExtension({
      name: 'MlflowTrackingServerPicker',
      component: MlflowTrackingServerPicker,
    }),
  );

/** Search result item for `ml-model` documents (registered models and their versions). */
export const MlModelSearchResultListItem = sagemakerMlflowPlugin.provide(
  createSearchResultListItemExtension({
    name: 'MlModelSearchResultListItem',
    component: () =>
      import('./components/search/MlModelSearchResultListItem').then(
        m => m.MlModelSearchResultListItem,
      ),
    predicate: result => result.type === 'ml-model',
  }),
);
