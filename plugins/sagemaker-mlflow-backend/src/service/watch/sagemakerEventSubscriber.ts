import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { EventsService } from '@backstage/plugin-events-node';
import { ANNOTATION_ENDPOINT_ARNS } from '@model-factory/plugin-sagemaker-mlflow-common';
import type { NotificationWatcher } from './NotificationWatcher';
import { entityNames, resourcesOfEvent } from './sagemakerEvents';

/**
 * On a SageMaker event from EventBridge (through the events backend's HTTP ingress), checks at once the entities
 * whose annotations name the event's resources, through the same path (and the same once-only ledger) as the
 * schedule. An event naming a resource no entity names does nothing.
 */
export async function subscribeToSageMakerEvents(options: {
  events: EventsService;
  topic: string;
  catalog: CatalogService;
  auth: AuthService;
  logger: LoggerService;
  watcher: NotificationWatcher;
}): Promise<void> {
  const { events, topic, catalog, auth, logger, watcher } = options;
  await events.subscribe({
    id: 'sagemaker-mlflow-notifications',
    topics: [topic],
    async onEvent({ eventPayload }) {
      const resources = resourcesOfEvent(eventPayload);
      if (resources.length === 0) return;
      const credentials = await auth.getOwnServiceCredentials();
      const entities = new Map<string, Entity>();
      for (const resource of resources) {
        // The endpoint annotation holds a list: every entity with one is matched here, by its parsed list.
        const value =
          resource.annotation === ANNOTATION_ENDPOINT_ARNS
            ? CATALOG_FILTER_EXISTS
            : resource.arn;
        for await (const page of catalog.streamEntities(
          {
            filter: { [`metadata.annotations.${resource.annotation}`]: value },
          },
          { credentials },
        )) {
          for (const entity of page) {
            if (entityNames(entity, resource))
              entities.set(stringifyEntityRef(entity), entity);
          }
        }
      }
      logger.info(
        `Notifications: SageMaker event for ${resources
          .map(r => r.arn)
          .join(', ')}: checking ${entities.size} entities`,
      );
      await watcher.checkEntities([...entities.values()]);
    },
  });
}
