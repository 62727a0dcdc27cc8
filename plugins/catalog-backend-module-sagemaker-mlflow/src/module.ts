import {
  AuthService,
  CacheService,
  coreServices,
  LoggerService,
  RootConfigService,
  SchedulerServiceTaskScheduleDefinition,
  createBackendModule,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  CatalogService,
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import {
  SageMakerMlflowClients,
  sagemakerMlflowClientsServiceRef,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import { ModelEntityProvider } from './ModelEntityProvider';
import { ComponentLookup, mlflowSource, sagemakerSource } from './ModelSources';

const DEFAULT_SCHEDULE = {
  frequency: { minutes: 30 },
  timeout: { minutes: 10 },
};
const DEFAULT_OWNER = 'group:default/ml-platform';
const DEFAULT_PAGE_SIZE = 200;

/** The provider and its schedule as the config describes them (what the module registers; tests wrap it). */
export function createModelEntityProvider({
  config,
  auth,
  logger,
  cache,
  catalog,
  clients,
}: {
  config: RootConfigService;
  auth: AuthService;
  logger: LoggerService;
  cache?: CacheService;
  catalog: CatalogService;
  clients: SageMakerMlflowClients;
}): {
  provider: ModelEntityProvider;
  schedule: SchedulerServiceTaskScheduleDefinition;
} {
  const own = config.getOptionalConfig('sagemakerMlflow.catalog');
  const schedule = own?.has('schedule')
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
        own.getConfig('schedule'),
      )
    : DEFAULT_SCHEDULE;
  // Fails start-up on a malformed ref, saying which key to fix.
  const defaultOwner = stringifyEntityRef(
    parseEntityRef(own?.getOptionalString('defaultOwner') ?? DEFAULT_OWNER, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    }),
  );
  const servers = own?.getOptionalStringArray('mlflowServers');
  const pageSize = own?.getOptionalNumber('pageSize') ?? DEFAULT_PAGE_SIZE;
  // Sources per run: the components binding tags claim are looked up afresh each run.
  const sources = () => {
    const components = new ComponentLookup(catalog, auth);
    return [
      ...clients.config.mlflowServers
        .filter(s => !servers || servers.includes(s.name))
        .map(server =>
          mlflowSource({
            server,
            client: clients.mlflow.forServer(server.name),
            components,
            defaultOwner,
            pageSize,
          }),
        ),
      ...(own?.getOptionalConfigArray('sagemaker') ?? []).map(account =>
        sagemakerSource({
          accountId: account.getString('accountId'),
          region: account.getString('region'),
          clients: clients.sagemaker,
          components,
          defaultOwner,
        }),
      ),
    ];
  };
  const provider = new ModelEntityProvider({ sources, logger, cache });
  return { provider, schedule };
}

/**
 * Adds every MLflow registered model of the configured tracking servers and every SageMaker model package group of
 * the configured accounts and regions to the catalog, as `kind: Resource`, `spec.type: ml-model` entities.
 */
export const catalogModuleSagemakerMlflowModels = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'sagemaker-mlflow-models',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        auth: coreServices.auth,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        cache: coreServices.cache,
        catalog: catalogServiceRef,
        processing: catalogProcessingExtensionPoint,
        clients: sagemakerMlflowClientsServiceRef,
      },
      async init({
        config,
        auth,
        logger,
        scheduler,
        cache,
        catalog,
        processing,
        clients,
      }) {
        const { provider, schedule } = createModelEntityProvider({
          config,
          auth,
          logger,
          cache,
          catalog,
          clients,
        });
        processing.addEntityProvider(provider);
        await scheduler.scheduleTask({
          id: 'sagemaker-mlflow-models',
          ...schedule,
          fn: async () => {
            await provider.run();
          },
        });
      },
    });
  },
});
