import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { sagemakerMlflowClientsServiceRef } from '@model-factory/plugin-sagemaker-mlflow-node';
import { createCatalogAnnotationsAction } from './actions/catalogAnnotations';
import {
  createMlflowExperimentAction,
  createMlflowRegisteredModelAction,
} from './actions/mlflowActions';
import { createModelPackageGroupAction } from './actions/modelPackageGroupAction';
import { createRequireNewEntityAction } from './actions/requireNewEntityAction';
import { createPublishLocalAction } from './localRepositories/publishLocalAction';
import { readLocalRepositoryRoot } from './localRepositories/localRepositoryRoot';

/** Registers the Model Factory provisioning actions with the scaffolder. */
export const scaffolderModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'sagemaker-mlflow',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolderActions: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        clients: sagemakerMlflowClientsServiceRef,
      },
      async init({ scaffolderActions, config, catalog, auth, clients }) {
        const { mlflow, sagemaker } = clients;
        scaffolderActions.addActions(
          createRequireNewEntityAction({ catalog, auth }),
          createCatalogAnnotationsAction(),
          createMlflowExperimentAction(mlflow),
          createMlflowRegisteredModelAction(mlflow),
          createModelPackageGroupAction(sagemaker),
          createPublishLocalAction(readLocalRepositoryRoot(config)),
        );
      },
    });
  },
});
