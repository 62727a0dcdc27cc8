import { timingSafeEqual } from 'crypto';
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { eventsExtensionPoint } from '@backstage/plugin-events-node/alpha';

/** The header an EventBridge connection (API key authorization) sends the secret in. */
export const EVENTS_SECRET_HEADER = 'x-model-factory-events-secret';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The events backend's HTTP ingress for SageMaker's EventBridge events, with a shared secret: with
 * `sagemakerMlflow.notifications.eventsSecret` set, a POST to /api/events/http/<eventsTopic> without that secret in
 * the `x-model-factory-events-secret` header is refused (401) before it reaches the bus. (The route is
 * unauthenticated in Backstage terms: EventBridge cannot obtain a Backstage token.) Without a secret the topic is
 * served as `events.http.topics` lists it, unprotected; the watcher trusts no event's content either way.
 */
export const sagemakerEventsIngressModule = createBackendModule({
  pluginId: 'events',
  moduleId: 'sagemaker-mlflow-ingress',
  register(env) {
    env.registerInit({
      deps: {
        events: eventsExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ events, config, logger }) {
        const secret = config.getOptionalString(
          'sagemakerMlflow.notifications.eventsSecret',
        );
        if (!secret) {
          // Events are only hints (the watcher re-reads SageMaker), but each costs catalog and SageMaker reads.
          logger.warn(
            'SageMaker events are accepted from anyone who can reach /api/events/http/: set sagemakerMlflow.notifications.eventsSecret (README "Protecting the ingress")',
          );
          return;
        }
        events.addHttpPostIngress({
          topic:
            config.getOptionalString(
              'sagemakerMlflow.notifications.eventsTopic',
            ) ?? 'aws.sagemaker',
          async validator(request, context) {
            const given = request.headers[EVENTS_SECRET_HEADER];
            if (typeof given !== 'string' || !same(given, secret)) {
              context.reject({
                status: 401,
                payload: {
                  message: `Send the events secret (sagemakerMlflow.notifications.eventsSecret) in the ${EVENTS_SECRET_HEADER} header`,
                },
              });
            }
          },
        });
      },
    });
  },
});
