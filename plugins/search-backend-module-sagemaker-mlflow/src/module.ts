import {
  coreServices,
  createBackendModule,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { searchIndexRegistryExtensionPoint } from '@backstage/plugin-search-backend-node/alpha';
import { sagemakerMlflowClientsServiceRef } from '@model-factory/plugin-sagemaker-mlflow-node';
import { MlModelCollatorFactory } from './MlModelCollatorFactory';

const DEFAULT_SCHEDULE = {
  frequency: { minutes: 10 },
  timeout: { minutes: 15 },
  initialDelay: { seconds: 3 },
};

/** Adds registered models and their versions (document type `ml-model`) to the portal's search. */
export const searchModuleSagemakerMlflow = createBackendModule({
  pluginId: 'search',
  moduleId: 'sagemaker-mlflow',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        auth: coreServices.auth,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        indexRegistry: searchIndexRegistryExtensionPoint,
        clients: sagemakerMlflowClientsServiceRef,
      },
      async init({
        config,
        auth,
        logger,
        scheduler,
        catalog,
        indexRegistry,
        clients,
      }) {
        const schedule = config.has('search.collators.sagemakerMlflow.schedule')
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
              config.getConfig('search.collators.sagemakerMlflow.schedule'),
            )
          : DEFAULT_SCHEDULE;
        indexRegistry.addCollator({
          schedule: scheduler.createScheduledTaskRunner(schedule),
          factory: new MlModelCollatorFactory({
            catalog,
            auth,
            logger,
            mlflow: clients.mlflow,
            sagemaker: clients.sagemaker,
            requireBinding: clients.config.requireBindingForReads,
          }),
        });
      },
    });
  },
});
