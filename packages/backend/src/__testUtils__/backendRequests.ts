import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';

/** The local stack's owner of the demo model, as a test backend's mock auth reads a token. */
export const GUEST = mockCredentials.user.header('user:default/guest');

/** Waits (up to a minute) until the catalog has ingested the entity `kind/namespace/name`; its last answer. */
export async function waitForEntity(server: any, ref: string) {
  let res = await request(server)
    .get(`/api/catalog/entities/by-name/${ref}`)
    .set('Authorization', GUEST);
  for (let i = 0; i < 120 && res.status === 404; i++) {
    await new Promise(r => setTimeout(r, 500));
    res = await request(server)
      .get(`/api/catalog/entities/by-name/${ref}`)
      .set('Authorization', GUEST);
  }
  return res;
}

/** POSTs a scaffolder task of a template; the answer, before anything ran. */
export function postTask(server: any, templateRef: string, values: object) {
  return request(server)
    .post('/api/scaffolder/v2/tasks')
    .set('Authorization', GUEST)
    .send({ templateRef, values });
}

/** Runs a template to its end; its status and the steps' log. */
export async function runTask(
  server: any,
  templateRef: string,
  values: object,
) {
  const created = await postTask(server, templateRef, values);
  if (created.status !== 201) {
    throw new Error(
      `the scaffolder refused the task: ${created.status} ${JSON.stringify(
        created.body,
      )}`,
    );
  }
  for (let i = 0; i < 240; i++) {
    const task = await request(server)
      .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
      .set('Authorization', GUEST);
    if (['completed', 'failed', 'cancelled'].includes(task.body.status)) {
      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
        .set('Authorization', GUEST);
      const log = events.body
        .map((e: any) => e.body?.message)
        .filter(Boolean)
        .join('\n');
      return { status: task.body.status as string, log };
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error('the scaffolder task did not finish in 2 minutes');
}
