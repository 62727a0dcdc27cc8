import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  MlflowClients,
  readSageMakerMlflowConfig,
  SageMakerClients,
} from '@model-factory/plugin-sagemaker-mlflow-node';
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
      },
      async init({ scaffolderActions, config, catalog, auth }) {
        const settings = readSageMakerMlflowConfig(config);
        const credentialsManager =
          DefaultAwsCredentialsManager.fromConfig(config);
        const mlflow = new MlflowClients(settings, credentialsManager);
        const sagemaker = new SageMakerClients({
          credentialsManager,
          endpoint: settings.sagemakerEndpoint,
          timeoutMs: settings.upstreamTimeoutMs,
          invokeTimeoutMs: settings.invoke.timeoutMs,
        });
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
