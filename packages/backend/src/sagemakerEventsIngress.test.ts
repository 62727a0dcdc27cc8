import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import eventsPlugin from '@backstage/plugin-events-backend';
import {
  eventsServiceFactory,
  eventsServiceRef,
} from '@backstage/plugin-events-node';
import {
  createBackendPlugin,
  coreServices,
} from '@backstage/backend-plugin-api';
import request from 'supertest';
import {
  EVENTS_SECRET_HEADER,
  sagemakerEventsIngressModule,
} from './sagemakerEventsIngress';

jest.setTimeout(30_000);

/** What reached the bus on the SageMaker topic. */
const received: unknown[] = [];
const listener = createBackendPlugin({
  pluginId: 'listener',
  register(env) {
    env.registerInit({
      deps: { events: eventsServiceRef, logger: coreServices.logger },
      async init({ events }) {
        await events.subscribe({
          id: 'test',
          topics: ['aws.sagemaker'],
          onEvent: async ({ eventPayload }) => {
            received.push(eventPayload);
          },
        });
      },
    });
  },
});

async function start(notifications: object) {
  const { server } = await startTestBackend({
    features: [
      mockServices.rootConfig.factory({
        data: {
          // Short long-polls of the event bus: the backend stops without waiting out the default 55 s.
          events: {
            http: { topics: ['aws.sagemaker'] },
            notifyTimeoutMs: 1000,
          },
          sagemakerMlflow: { notifications },
        },
      }),
      eventsServiceFactory,
      eventsPlugin,
      sagemakerEventsIngressModule,
      listener,
    ],
  });
  return server;
}

const event = { 'detail-type': 'SageMaker Model Package State Change' };

describe('the SageMaker events ingress', () => {
  beforeEach(() => received.splice(0));

  it('with a secret configured, refuses a POST without it and passes one with it', async () => {
    const server = await start({ eventsSecret: 's3cret-value' });
    const without = await request(server)
      .post('/api/events/http/aws.sagemaker')
      .send(event);
    expect(without.status).toBe(401);
    expect(without.body.message).toContain(EVENTS_SECRET_HEADER);
    const wrong = await request(server)
      .post('/api/events/http/aws.sagemaker')
      .set(EVENTS_SECRET_HEADER, 's3cret-valuX')
      .send(event);
    expect(wrong.status).toBe(401);
    expect(received).toEqual([]);
    const right = await request(server)
      .post('/api/events/http/aws.sagemaker')
      .set(EVENTS_SECRET_HEADER, 's3cret-value')
      .send(event);
    expect(right.status).toBe(202);
    expect(received).toEqual([event]);
  });

  it('without a secret, serves the topic as events.http.topics lists it', async () => {
    const server = await start({});
    const res = await request(server)
      .post('/api/events/http/aws.sagemaker')
      .send(event);
    expect(res.status).toBe(202);
    expect(received).toEqual([event]);
  });
});
