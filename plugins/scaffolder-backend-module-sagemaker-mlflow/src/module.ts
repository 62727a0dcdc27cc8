import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createCatalogAnnotationsAction } from './actions/catalogAnnotations';

/** Registers the Model Factory provisioning actions with the scaffolder. */
export const scaffolderModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'sagemaker-mlflow',
  register({ registerInit }) {
    registerInit({
      deps: { scaffolderActions: scaffolderActionsExtensionPoint },
      async init({ scaffolderActions }) {
        scaffolderActions.addActions(createCatalogAnnotationsAction());
      },
    });
  },
});
