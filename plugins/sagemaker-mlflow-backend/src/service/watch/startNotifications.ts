import type {
  AuthService,
  DatabaseService,
  LoggerService,
  RootConfigService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { EventsService } from '@backstage/plugin-events-node';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { SignalsService } from '@backstage/plugin-signals-node';
import type { ServiceDeps } from '../types';
import { readNotificationsConfig } from './config';
import { NotificationLedger } from './NotificationLedger';
import { NotificationWatcher } from './NotificationWatcher';
import { observe } from './observe';
import { subscribeToSageMakerEvents } from './sagemakerEventSubscriber';

/** The scheduled task's id (its trigger route: POST /api/sagemaker-mlflow/.backstage/scheduler/v1/tasks/<id>/trigger). */
export const NOTIFICATIONS_TASK_ID = 'sagemaker-mlflow-notifications';

/** Starts the watcher on its schedule and on SageMaker events, unless `sagemakerMlflow.notifications.enabled` is false. */
export async function startNotifications(options: {
  rootConfig: RootConfigService;
  service: ServiceDeps;
  database: DatabaseService;
  scheduler: SchedulerService;
  catalog: CatalogService;
  auth: AuthService;
  logger: LoggerService;
  notifications: NotificationService;
  signals: SignalsService;
  events: EventsService;
}): Promise<void> {
  const config = readNotificationsConfig(options.rootConfig);
  if (!config.enabled) return;
  const ledger = await NotificationLedger.create(options.database);
  const watcher = new NotificationWatcher({
    catalog: options.catalog,
    auth: options.auth,
    logger: options.logger,
    ledger,
    notifications: options.notifications,
    signals: options.signals,
    observe: (entity, credentials) =>
      observe(options.service, entity, credentials),
    invalidate: entityRef => options.service.cache.invalidate(entityRef),
  });
  // Global: one instance at a time runs it; the ledger still makes each notification once if runs overlap.
  await options.scheduler.scheduleTask({
    id: NOTIFICATIONS_TASK_ID,
    scope: 'global',
    ...config.schedule,
    fn: () => watcher.checkAll(),
  });
  options.logger.info(
    `Notifications: watching on a schedule and on events of topic '${config.eventsTopic}'`,
  );
  await subscribeToSageMakerEvents({
    events: options.events,
    topic: config.eventsTopic,
    catalog: options.catalog,
    auth: options.auth,
    logger: options.logger,
    watcher,
  });
}
