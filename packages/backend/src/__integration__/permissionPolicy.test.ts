import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { ConfigSources } from '@backstage/config-loader';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  actionsRegistryServiceFactory,
  actionsServiceFactory,
} from '@backstage/backend-defaults/alpha';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import mcpActionsPlugin from '@backstage/plugin-mcp-actions-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { sagemakerMlflowPermissions } from '@model-factory/plugin-sagemaker-mlflow-common';
import { localRepositoryUrlReader } from '@model-factory/plugin-scaffolder-backend-module-sagemaker-mlflow';
import {
  modelFactoryPermissionPolicyModule,
  servicePrincipalPermissionsServiceFactory,
} from '../permissionPolicy';
import {
  authWithActorsFactory,
  httpAuthServiceFactory,
  userInfoFromOrgFactory,
} from '../__testUtils__/testServices';

// The shipped policy decided by Backstage's real permission framework: the permission backend, the real
// permissions service every plugin calls (ServerPermissionClient, with our service-principal guard around it),
// the real catalog (its delete/refresh/location routes and catalog.rules), the real scaffolder (tasks) and the
// real MCP actions plugin, configured with the repository's own app-config.yaml where the policy lives there.

const OWNER = 'user:default/owner'; // member of group:default/ml-platform, which owns the models
const OTHER = 'user:default/other'; // signed in, owns nothing here
const ADMIN = 'user:default/admin'; // member of the configured admin group
const ADMIN_GROUP = 'group:default/platform-admins';
const CI_BOT = 'external:ci-bot'; // configured service principal
const OTHER_BOT = 'external:other-bot'; // not configured
const MODEL = 'component:default/owned-model';

const user = (ref: string) => mockCredentials.user.header(ref);
/** A service principal's token for one plugin, as plugins and external static tokens present them. */
const service = (subject: string, targetPluginId = 'catalog') =>
  mockCredentials.service.header({
    onBehalfOf: mockCredentials.service(subject),
    targetPluginId,
  });

async function shippedAppConfig() {
  const source = ConfigSources.default({
    rootDir: path.resolve(__dirname, '../../../..'),
    argv: [],
    env: {},
  });
  return ConfigSources.toConfig(source);
}

const component = (name: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name },
  spec: {
    type: 'ml-model',
    lifecycle: 'experimental',
    owner: 'group:default/ml-platform',
  },
});

const yamlDocs = (...docs: object[]) =>
  docs.map(d => JSON.stringify(d)).join('\n---\n');

/**
 * A plugin that asks the permissions service exactly as a plugin's router does (Model Factory's write routes
 * call `permissions.authorize([{ permission, resourceRef }], { credentials })`), so the answer a user or a
 * service principal gets for Model Factory's writes is the one the framework really gives.
 */
const probePlugin = createBackendPlugin({
  pluginId: 'probe',
  register(reg) {
    reg.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
      },
      async init({ httpRouter, httpAuth, permissions }) {
        httpRouter.use(async (req, res, next) => {
          try {
            const credentials = await httpAuth.credentials(req);
            const permission = sagemakerMlflowPermissions.find(
              p => p.name === req.query.permission,
            )!;
            const [decision] = await permissions.authorize(
              [{ permission, resourceRef: String(req.query.resourceRef) }],
              { credentials },
            );
            res.json(decision);
          } catch (error) {
            next(error);
          }
        });
      },
    });
  },
});

describe('shipped permission policy, decided by the real permission framework', () => {
  let server: any;
  let repositories: string;
  const uids: Record<string, string> = {};

  const get = (url: string, auth: string) =>
    request(server).get(url).set('Authorization', auth);

  async function eventually<T>(
    read: () => Promise<T>,
    done: (value: T) => boolean,
    what: string,
  ): Promise<T> {
    for (let i = 0; i < 120; i++) {
      const value = await read();
      if (done(value)) return value;
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  const entity = (ref: string, auth = user(OWNER)) => {
    const [kind, rest] = ref.split(':');
    return get(`/api/catalog/entities/by-name/${kind}/${rest}`, auth);
  };

  /** What /api/permission/authorize answers a user (as the frontend's usePermission asks it). */
  async function decide(who: string, permission: object, resourceRef?: string) {
    const res = await request(server)
      .post('/api/permission/authorize')
      .set('Authorization', user(who))
      .send({ items: [{ id: '1', permission, resourceRef }] });
    expect(res.status).toBe(200);
    return res.body.items[0].result as string;
  }

  /** What a plugin's permissions.authorize answers for a Model Factory write on the model. */
  async function probe(
    who: { user: string } | { service: string },
    permission: string,
  ) {
    const auth = 'user' in who ? user(who.user) : service(who.service, 'probe');
    const res = await get(
      `/api/probe?permission=${permission}&resourceRef=${MODEL}`,
      auth,
    );
    expect(res.status).toBe(200);
    return res.body.result as string;
  }

  /** Writes a repository's catalog-info.yaml (read through the local publish target's URL reader). */
  function writeRepo(repo: string, ...docs: object[]) {
    const dir = path.join(repositories, repo);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'catalog-info.yaml'), yamlDocs(...docs));
    return `file://${path.join(dir, 'catalog-info.yaml')}`;
  }

  /** Registers a location the way the scaffolder's catalog:register and the "Register existing" page do. */
  function registerLocation(who: string, repo: string, ...docs: object[]) {
    return request(server)
      .post('/api/catalog/locations')
      .set('Authorization', user(who))
      .send({ type: 'url', target: writeRepo(repo, ...docs) });
  }

  beforeAll(async () => {
    const shipped = await shippedAppConfig();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-policy-'));
    repositories = path.join(dir, 'repositories');
    const entitiesFile = path.join(dir, 'entities.yaml');
    fs.writeFileSync(
      entitiesFile,
      yamlDocs(
        component('owned-model'),
        component('deleted-by-other'),
        component('deleted-by-admin'),
        component('deleted-by-bot'),
      ),
    );
    const templateFile = path.join(dir, 'template.yaml');
    fs.writeFileSync(
      templateFile,
      yamlDocs({
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: { name: 'wait' },
        spec: {
          owner: 'group:default/ml-platform',
          type: 'service',
          // Long enough to still be running when the test cancels it.
          steps: [
            {
              id: 'wait',
              name: 'Wait',
              action: 'debug:wait',
              input: { seconds: 60 },
            },
          ],
        },
      }),
    );

    ({ server } = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            backend: {
              baseUrl: 'http://localhost:7007',
              // The shipped MCP/actions exposure.
              actions: shipped.getConfig('backend.actions').get(),
            },
            permission: { enabled: true },
            catalog: {
              // The shipped global rules: what a user-registered location may bring in.
              rules: shipped.get('catalog.rules'),
              locations: [
                { type: 'file', target: entitiesFile },
                // Like app-config.yaml: admin-controlled config locations carry their own rules.
                {
                  type: 'file',
                  target: templateFile,
                  rules: [{ allow: ['Template'] }],
                },
              ],
            },
            sagemakerMlflow: {
              localRepositories: { root: repositories },
              permissions: {
                adminGroups: [ADMIN_GROUP],
                servicePrincipals: [CI_BOT],
              },
            },
          },
        }),
        authWithActorsFactory,
        httpAuthServiceFactory,
        userInfoFromOrgFactory({
          [OWNER]: ['group:default/ml-platform'],
          [OTHER]: ['group:default/data-analysts'],
          [ADMIN]: [ADMIN_GROUP],
        }),
        servicePrincipalPermissionsServiceFactory,
        actionsRegistryServiceFactory,
        actionsServiceFactory,
        localRepositoryUrlReader,
        permissionPlugin,
        modelFactoryPermissionPolicyModule,
        catalogPlugin,
        catalogScaffolderEntityModel,
        scaffolderPlugin,
        mcpActionsPlugin,
        probePlugin,
      ],
    }));

    for (const name of [
      'owned-model',
      'deleted-by-other',
      'deleted-by-admin',
      'deleted-by-bot',
    ]) {
      const res = await eventually(
        () => entity(`component:default/${name}`),
        r => r.status === 200,
        name,
      );
      uids[name] = res.body.metadata.uid;
    }
    await eventually(
      () => entity('template:default/wait'),
      r => r.status === 200,
      'the template',
    );
  }, 120_000);

  describe('catalog reads', () => {
    it('are allowed for every signed-in user, owner or not', async () => {
      expect((await entity(MODEL, user(OTHER))).status).toBe(200);
      expect(
        await decide(
          OTHER,
          {
            type: 'resource',
            name: 'catalog.entity.read',
            attributes: { action: 'read' },
            resourceType: 'catalog-entity',
          },
          MODEL,
        ),
      ).toBe('ALLOW');
      expect((await get('/api/catalog/locations', user(OTHER))).status).toBe(
        200,
      );
    });

    it("plugins' own service reads (the search collator's) keep working", async () => {
      const res = await get(
        '/api/catalog/entities/by-query?filter=kind=component',
        service('plugin:search'),
      );
      expect(res.status).toBe(200);
      expect(res.body.items.map((e: any) => e.metadata.name)).toContain(
        'owned-model',
      );
    });
  });

  describe('catalog.entity.delete', () => {
    const del = (name: string, auth: string) =>
      request(server)
        .delete(`/api/catalog/entities/by-uid/${uids[name]}`)
        .set('Authorization', auth);

    it('is refused to a signed-in user who does not own the entity', async () => {
      expect((await del('deleted-by-other', user(OTHER))).status).toBe(403);
      expect((await entity('component:default/deleted-by-other')).status).toBe(
        200,
      );
    });

    it("is allowed to the entity's owners", async () => {
      expect((await del('deleted-by-other', user(OWNER))).status).toBe(204);
      expect((await entity('component:default/deleted-by-other')).status).toBe(
        404,
      );
    });

    it('is allowed to a member of a configured admin group', async () => {
      expect((await del('deleted-by-admin', user(ADMIN))).status).toBe(204);
    });

    it('is refused to a service principal that is not configured, allowed to one that is', async () => {
      expect((await del('deleted-by-bot', service(OTHER_BOT))).status).toBe(
        403,
      );
      expect((await del('deleted-by-bot', service(CI_BOT))).status).toBe(204);
    });
  });

  describe('catalog.entity.refresh', () => {
    const refresh = (who: string) =>
      request(server)
        .post('/api/catalog/refresh')
        .set('Authorization', user(who))
        .send({ entityRef: MODEL });

    it('is for owners and admins only', async () => {
      expect((await refresh(OTHER)).status).toBe(403);
      expect((await refresh(OWNER)).status).toBe(200);
      expect((await refresh(ADMIN)).status).toBe(200);
    });
  });

  describe('locations', () => {
    it('any signed-in user may register one (what catalog:register needs); it brings in components', async () => {
      const res = await registerLocation(
        OTHER,
        'registered',
        component('registered-model'),
      );
      expect(res.status).toBe(201);
      await eventually(
        () => entity('component:default/registered-model'),
        r => r.status === 200,
        'the registered component',
      );
    }, 60_000);

    it.each([
      ['Template', { kind: 'Template', spec: { type: 'service', steps: [] } }],
      ['Group', { kind: 'Group', spec: { type: 'team', children: [] } }],
      ['User', { kind: 'User', spec: { memberOf: [] } }],
      ['Location', { kind: 'Location', spec: { targets: ['./other.yaml'] } }],
    ])(
      'a user-registered location may not bring in a %s (catalog.rules), not even an admin-registered one',
      async (kind, partial) => {
        const smuggled = {
          apiVersion:
            kind === 'Template'
              ? 'scaffolder.backstage.io/v1beta3'
              : 'backstage.io/v1alpha1',
          metadata: { name: `smuggled-${kind.toLowerCase()}` },
          ...partial,
        };
        const repo = `smuggled-${kind}`;
        const host = component(`host-of-${kind.toLowerCase()}`);
        const res = await registerLocation(ADMIN, repo, host);
        expect(res.status).toBe(201);
        // First read with only a component, so the location's own entity exists and can show the error (a
        // location refused on its very first read never appears at all, and would prove nothing).
        await eventually(
          () => entity(`component:default/${host.metadata.name}`),
          r => r.status === 200,
          'the host component',
        );
        const byTarget = `/api/catalog/entities/by-query?filter=kind=location,spec.target=${encodeURIComponent(
          res.body.location.target,
        )}`;
        const [location] = (await get(byTarget, user(ADMIN))).body.items;
        writeRepo(repo, host, smuggled);
        const refreshed = await request(server)
          .post('/api/catalog/refresh')
          .set('Authorization', user(ADMIN))
          .send({
            entityRef: `location:default/${location.metadata.name}`,
          });
        expect(refreshed.status).toBe(200);
        // The catalog records why it refused the file on the location's entity.
        const processed = await eventually(
          () => get(byTarget, user(ADMIN)),
          r => (r.body.items[0].status?.items ?? []).length > 0,
          `the ${kind} location to be read again`,
        );
        expect(JSON.stringify(processed.body.items[0].status.items)).toMatch(
          /is not of an allowed kind for that location/,
        );
        expect(
          (
            await entity(
              `${kind.toLowerCase()}:default/smuggled-${kind.toLowerCase()}`,
            )
          ).status,
        ).toBe(404);
      },
      60_000,
    );

    it('only admins and configured service principals may delete one, not even the user who registered it', async () => {
      const a = await registerLocation(OTHER, 'to-delete-a', component('a'));
      const b = await registerLocation(OTHER, 'to-delete-b', component('b'));
      const del = (id: string, auth: string) =>
        request(server)
          .delete(`/api/catalog/locations/${id}`)
          .set('Authorization', auth);
      expect((await del(a.body.location.id, user(OTHER))).status).toBe(403);
      expect((await del(a.body.location.id, user(OWNER))).status).toBe(403);
      expect((await del(a.body.location.id, service(OTHER_BOT))).status).toBe(
        403,
      );
      expect((await del(a.body.location.id, user(ADMIN))).status).toBe(204);
      expect((await del(b.body.location.id, service(CI_BOT))).status).toBe(204);
    });
  });

  describe("Model Factory's writes", () => {
    it.each(sagemakerMlflowPermissions.map(p => [p.name]))(
      "%s: the entity's owners and admins only",
      async name => {
        expect(await probe({ user: OWNER }, name)).toBe('ALLOW');
        expect(await probe({ user: ADMIN }, name)).toBe('ALLOW');
        expect(await probe({ user: OTHER }, name)).toBe('DENY');
      },
    );

    it.each(sagemakerMlflowPermissions.map(p => [p.name]))(
      '%s: configured service principals only',
      async name => {
        expect(await probe({ service: CI_BOT }, name)).toBe('ALLOW');
        expect(await probe({ service: OTHER_BOT }, name)).toBe('DENY');
        expect(await probe({ service: 'plugin:scaffolder' }, name)).toBe(
          'DENY',
        );
      },
    );
  });

  describe('scaffolder tasks', () => {
    let taskId: string;
    const task = (who: string) =>
      get(`/api/scaffolder/v2/tasks/${taskId}`, user(who));
    const cancel = (who: string) =>
      request(server)
        .post(`/api/scaffolder/v2/tasks/${taskId}/cancel`)
        .set('Authorization', user(who));

    beforeAll(async () => {
      const created = await request(server)
        .post('/api/scaffolder/v2/tasks')
        .set('Authorization', user(OTHER)) // any signed-in user may run a template
        .send({ templateRef: 'template:default/wait', values: {} });
      if (created.status !== 201) {
        throw new Error(`could not start the task: ${created.status}`);
      }
      taskId = created.body.id;
    });

    it("only the task's creator and admins may read it", async () => {
      expect((await task(OTHER)).status).toBe(200);
      expect((await task(ADMIN)).status).toBe(200);
      expect((await task(OWNER)).status).toBe(403);
      const listed = await get('/api/scaffolder/v2/tasks', user(OWNER));
      expect(listed.status).toBe(200);
      expect(listed.body.tasks.map((t: any) => t.id)).not.toContain(taskId);
    });

    it("only the task's creator and admins may cancel it", async () => {
      expect((await cancel(OWNER)).status).toBe(403);
      expect((await cancel(OTHER)).status).toBe(200);
    });

    it('the template editor and dry runs are for admins', async () => {
      const management = {
        type: 'basic',
        name: 'scaffolder.template.management',
        attributes: {},
      };
      const dryRun = {
        type: 'basic',
        name: 'scaffolder.template.dry-run',
        attributes: {},
      };
      expect(await decide(OTHER, management)).toBe('DENY');
      expect(await decide(OTHER, dryRun)).toBe('DENY');
      expect(await decide(ADMIN, management)).toBe('ALLOW');
      expect(await decide(ADMIN, dryRun)).toBe('ALLOW');
    });
  });

  describe('MCP', () => {
    it('exposes only read-only actions', async () => {
      const res = await request(server)
        .post('/api/mcp-actions/v1')
        .set('Authorization', user(ADMIN))
        .set('Accept', 'application/json, text/event-stream')
        .send({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
      expect(res.status).toBe(200);
      // Streamable HTTP answers as server-sent events: one `data:` line with the JSON-RPC response.
      const data = res.text
        .split('\n')
        .find((l: string) => l.startsWith('data: '))!;
      const tools = JSON.parse(data.slice('data: '.length)).result.tools;
      const names = tools.map((t: any) => t.name);
      expect(names).toEqual(
        expect.arrayContaining(['catalog.get-catalog-entity']),
      );
      for (const write of [
        'catalog.register-entity',
        'catalog.unregister-entity',
        'catalog.refresh-catalog-entity',
        'scaffolder.execute-template',
      ]) {
        expect(names).not.toContain(write);
      }
      expect(tools.filter((t: any) => !t.annotations.readOnlyHint)).toEqual([]);
    });

    it("a write action is not found even when invoked at the catalog's own actions route", async () => {
      const res = await request(server)
        .post(
          '/api/catalog/.backstage/actions/v1/actions/catalog:unregister-entity/invoke',
        )
        .set('Authorization', user(ADMIN))
        .send({ type: { locationId: 'x' } });
      expect(res.status).toBe(404);
      // Not found as an action (the location 'x' does not exist either: that would be a different 404).
      expect(res.body.error.message).toBe(
        'Action "catalog:unregister-entity" not found',
      );
    });
  });
});
