import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { sagemakerMlflowPermissions } from '@model-factory/plugin-sagemaker-mlflow-common';
import { sagemakerMlflowClientsServiceRef } from '@model-factory/plugin-sagemaker-mlflow-node';
import { registerActions } from './actions';
import { createRouter } from './router';
import { VersionComparisons } from './service/versionComparison';
import { ResourceBindings } from './service/bindings';
import { Endpoints } from './service/endpoints';
import { ModelVersions } from './service/modelVersions';
import { Pipelines } from './service/pipelines/Pipelines';
import { VersionTimelines } from './service/versionTimeline';
import { UpstreamCache } from './service/UpstreamCache';
import { startNotifications } from './service/watch';

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
        clients: sagemakerMlflowClientsServiceRef,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        cache: coreServices.cache,
        logger: coreServices.logger,
        catalog: catalogServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
        rootConfig: coreServices.rootConfig,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        auth: coreServices.auth,
        notifications: notificationService,
        signals: signalsServiceRef,
        events: eventsServiceRef,
      },
      async init(deps) {
        const { config, sagemaker, mlflow, invoker } = deps.clients;
        const base = {
          logger: deps.logger,
          config,
          sagemaker,
          mlflow,
          invoker,
          cache: new UpstreamCache(
            deps.cache,
            config.cacheTtlSeconds * 1000,
            deps.logger,
          ),
        };
        const service = { ...base, bindings: new ResourceBindings(base) };
        const pipelines = new Pipelines(service);
        const versions = new ModelVersions(service);
        const endpoints = new Endpoints(service);
        const timelines = new VersionTimelines(service, pipelines);
        const comparisons = new VersionComparisons(service, endpoints);

        deps.permissionsRegistry.addPermissions(sagemakerMlflowPermissions);
        registerActions({
          actionsRegistry: deps.actionsRegistry,
          catalog: deps.catalog,
          pipelines,
          versions,
        });
        deps.httpRouter.use(
          await createRouter({
            servicePrincipals: config.servicePrincipals,
            requestTimeoutMs: config.requestTimeoutMs,
            httpAuth: deps.httpAuth,
            catalog: deps.catalog,
            permissions: deps.permissions,
            auditor: deps.auditor,
            logger: deps.logger,
            pipelines,
            versions,
            endpoints,
            timelines,
            comparisons,
            maxPayloadBytes: config.invoke.maxPayloadBytes,
            mlflowServers: config.mlflowServers,
          }),
        );
        deps.httpRouter.addAuthPolicy({
          path: '/health',
          allow: 'unauthenticated',
        });
        await startNotifications({ ...deps, service });
      },
    });
  },
});
