import { createBackend } from '@backstage/backend-defaults';
import { localRepositoryUrlReader } from '@model-factory/plugin-scaffolder-backend-module-sagemaker-mlflow';
import {
  modelFactoryPermissionPolicyModule,
  servicePrincipalPermissionsServiceFactory,
} from './permissionPolicy';
import { sagemakerEventsIngressModule } from './sagemakerEventsIngress';
import { migrationLockSafeDatabaseServiceFactory } from './migrationLocks';

const backend = createBackend();

// Two instances starting together on an empty PostgreSQL could break a plugin's migration lock for good.
backend.add(migrationLockSafeDatabaseServiceFactory);

backend.add(import('@backstage/plugin-app-backend'));

// Sign-in: the guest provider for the local stack; production adds a real provider in its own config.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
// MLflow registered models and SageMaker model package groups as ml-model Resource entities.
backend.add(
  import('@model-factory/plugin-catalog-backend-module-sagemaker-mlflow'),
);

backend.add(import('@backstage/plugin-scaffolder-backend'));

backend.add(import('@backstage/plugin-permission-backend'));
// Least privilege (README "Security model"): reads for signed-in users, changes for owners and admins.
backend.add(modelFactoryPermissionPolicyModule);
// Service principals never reach the policy: their writes are refused here unless configured by name.
backend.add(servicePrincipalPermissionsServiceFactory);

// Search: Lunr in memory locally, PostgreSQL when the database is PostgreSQL (production).
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

// Exposes registered actions (ours included) to AI assistants over MCP.
backend.add(import('@backstage/plugin-mcp-actions-backend'));

// Notifications (the sidebar's bell) and signals (live updates of an open tab); the events backend receives
// SageMaker's EventBridge events on POST /api/events/http/<topic> (README "Notifications").
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
backend.add(import('@backstage/plugin-events-backend'));
// With sagemakerMlflow.notifications.eventsSecret: the ingress refuses a POST without the secret header.
backend.add(sagemakerEventsIngressModule);

backend.add(import('@model-factory/plugin-sagemaker-mlflow-backend'));
backend.add(
  import('@model-factory/plugin-scaffolder-backend-module-sagemaker-mlflow'),
);
// The template's local publish target: the catalog reads its repositories through file:// URLs.
backend.add(localRepositoryUrlReader);
backend.add(
  import('@model-factory/plugin-search-backend-module-sagemaker-mlflow'),
);
// A failed start-up ends the process, so that Kubernetes (or any supervisor) starts it again: otherwise it stays
// alive and never ready, e.g. a replica that lost a plugin's migration lock to another one starting beside it.
backend.start().catch(error => {
  process.stderr.write(`Backend start-up failed, exiting: ${error}\n`);
  process.exit(1);
});
