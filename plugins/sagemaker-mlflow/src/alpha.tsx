import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import {
  ApiBlueprint,
  createFrontendPlugin,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import {
  SearchFilterResultTypeBlueprint,
  SearchResultListItemBlueprint,
} from '@backstage/plugin-search-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import {
  ENTITY_TAB_ROUTE,
  isSageMakerMlflowAvailable,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import ModelIcon from '@material-ui/icons/Functions';
import {
  SageMakerMlflowClient,
  sagemakerMlflowApiRef,
} from './api/SageMakerMlflowApi';

export const sagemakerMlflowApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: sagemakerMlflowApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new SageMakerMlflowClient(deps),
    }),
});

/** The entity tab, shown only on entities that name a SageMaker or MLflow resource; its code loads on demand. */
export const sagemakerMlflowEntityContent = EntityContentBlueprint.make({
  params: {
    path: `/${ENTITY_TAB_ROUTE}`,
    title: 'Model Factory',
    filter: isSageMakerMlflowAvailable,
    loader: () =>
      import('./components/EntitySageMakerMlflowContent').then(m => (
        <m.EntitySageMakerMlflowContent />
      )),
  },
});

/** The overview card on the same entities. */
export const sagemakerMlflowEntityCard = EntityCardBlueprint.make({
  params: {
    filter: isSageMakerMlflowAvailable,
    loader: () =>
      import('./components/EntitySageMakerMlflowCard').then(m => (
        <m.EntitySageMakerMlflowCard />
      )),
  },
});

/** Registered models and model versions in the portal's search results. */
export const mlModelSearchResultListItem = SearchResultListItemBlueprint.make({
  params: {
    predicate: result => result.type === 'ml-model',
    component: () =>
      import('./components/search/MlModelSearchResultListItem').then(
        m => m.MlModelSearchResultListItem as any,
      ),
  },
});

/** The search page's "ML models" result type. */
export const mlModelSearchResultType = SearchFilterResultTypeBlueprint.make({
  params: { value: 'ml-model', name: 'ML models', icon: <ModelIcon /> },
});

/** The template form's MLflow tracking server picker (`ui:field: MlflowTrackingServerPicker`). */
export const mlflowTrackingServerPickerField = FormFieldBlueprint.make({
  name: 'mlflow-tracking-server-picker',
  params: {
    field: () =>
      import('./components/scaffolder/formField').then(
        m => m.mlflowTrackingServerPickerFormField,
      ),
  },
});

/** The Model Factory plugin for the New Frontend System. */
export default createFrontendPlugin({
  pluginId: 'sagemaker-mlflow',
  info: { packageJson: () => import('../package.json') },
  extensions: [
    sagemakerMlflowApi,
    sagemakerMlflowEntityContent,
    sagemakerMlflowEntityCard,
    mlModelSearchResultListItem,
    mlModelSearchResultType,
    mlflowTrackingServerPickerField,
  ],
});
