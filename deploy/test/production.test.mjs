// The production profile as packages/backend/Dockerfile runs it, on what scripts/test-production prepared: the
// image's /app unpacked in a temp dir, PostgreSQL and Redis on free ports, and the test stack's SageMaker emulator
// and MLflow standing in for AWS. Two backend instances share the database and the cache, as two replicas do.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  CreatePipelineCommand,
  SageMakerClient,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';

function required(name) {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run this file through scripts/test-production`,
    );
  return value;
}

const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../..',
);
const APP_DIR = required('PRODUCTION_APP_DIR');
const WORK_DIR = required('PRODUCTION_WORK_DIR');
const LOGS = required('PRODUCTION_LOGS');
const PG_PORT = Number(required('PRODUCTION_POSTGRES_PORT'));
const REDIS_PORT = Number(required('PRODUCTION_REDIS_PORT'));
const MLFLOW_URL = required('MODEL_FACTORY_TEST_MLFLOW_URL');
const SAGEMAKER_ENDPOINT = required('MODEL_FACTORY_TEST_SAGEMAKER_ENDPOINT');

const TOKEN = crypto.randomBytes(24).toString('base64url');
const ACCOUNT = '123456789012';
// A pipeline of this run's own: the cache check starts an execution of it, which no other test reads.
const PIPELINE = `production-cache-${process.pid}`;
const CACHE_ENTITY = 'production-cache-model';
const DEMO = 'default/component/demo-model';
const CATALOG_FILE = path.join(WORK_DIR, 'catalog-production-test.yaml');
// The backends find these through the default credential chain, as they would IRSA's or Pod Identity's; the
// emulator accepts any key.
const AWS_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'model-factory-production-test',
  AWS_SECRET_ACCESS_KEY: 'model-factory-production-test',
  AWS_REGION: 'us-east-1',
};

/**
 * What packages/backend/Dockerfile runs, read from it so this test cannot drift from it: the ENV it sets, its
 * CMD, its RUN lines and the files its COPY lines take from the build context.
 */
function readDockerfile() {
  const text = fs
    .readFileSync(path.join(ROOT, 'packages/backend/Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ');
  const instructions = text
    .split('\n')
    .filter(line => /^[A-Z]+ /.test(line))
    .map(line => {
      const [, keyword, rest] = line.match(/^([A-Z]+) (.*)$/);
      return { keyword, rest: rest.trim() };
    });
  const env = {};
  for (const { rest } of instructions.filter(i => i.keyword === 'ENV')) {
    const [, key, value] = rest.match(/^(\w+)=(.*)$/);
    env[key] = value.replace(/^"(.*)"$/, '$1');
  }
  const copied = instructions
    .filter(i => i.keyword === 'COPY')
    .flatMap(i =>
      i.rest
        .split(/\s+/)
        .filter(word => !word.startsWith('--'))
        .slice(0, -1),
    );
  const cmd = JSON.parse(instructions.find(i => i.keyword === 'CMD').rest);
  const runs = instructions.filter(i => i.keyword === 'RUN').map(i => i.rest);
  return { env, copied, cmd, runs };
}
const DOCKERFILE = readDockerfile();

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

function measured(line) {
  fs.appendFileSync(path.join(LOGS, 'measurements.txt'), `${line}\n`);
}

/** Polls `check` until it returns a truthy value; `check` may throw to give up at once. */
async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** One backend as the image's CMD starts it, with a test-only config layered last (listen port, catalog, emulator). */
class Backend {
  constructor(name, port) {
    this.name = name;
    this.port = port;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.logFile = path.join(LOGS, `backend-${name}.log`);
    this.configFile = path.join(WORK_DIR, `app-config.test-${name}.yaml`);
    // JSON is YAML. The demo entities come from the repository's dev/catalog, the production profile has none.
    fs.writeFileSync(
      this.configFile,
      JSON.stringify({
        // Loopback here; the port also comes as the Helm chart sets it (APP_CONFIG_backend_listen_port, below).
        backend: { listen: { host: '127.0.0.1', port } },
        catalog: {
          locations: [
            {
              type: 'file',
              target: path.join(ROOT, 'dev/catalog/org.yaml'),
              rules: [{ allow: ['User', 'Group'] }],
            },
            {
              type: 'file',
              target: path.join(ROOT, 'dev/catalog/demo-model.yaml'),
            },
            { type: 'file', target: CATALOG_FILE },
          ],
        },
        sagemakerMlflow: { sagemaker: { endpoint: SAGEMAKER_ENDPOINT } },
      }),
    );
  }

  environment() {
    const env = { ...process.env };
    for (const key of Object.keys(env)) {
      if (key.startsWith('AWS_') || key.startsWith('NODE_TEST'))
        delete env[key];
    }
    return {
      ...env,
      ...DOCKERFILE.env, // NODE_ENV, NODE_OPTIONS, ...
      // What app-config.production.yaml reads (README "Deploy").
      APP_BASE_URL: this.baseUrl,
      BACKEND_BASE_URL: this.baseUrl,
      BACKEND_STATIC_TOKEN: TOKEN,
      // What Backstage's Helm chart always sets: it must merge into the configs' backend.listen.
      APP_CONFIG_backend_listen_port: String(this.port),
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(PG_PORT),
      POSTGRES_USER: 'backstage',
      POSTGRES_PASSWORD: 'unused-with-trust-auth',
      REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
      // The production profile's MLflow server: SigV4-signed for a tracking server ARN (the local MLflow ignores
      // the signature), so the managed-MLflow path runs too.
      MLFLOW_TRACKING_URL: MLFLOW_URL,
      MLFLOW_UI_URL: MLFLOW_URL,
      MLFLOW_TRACKING_SERVER_ARN: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:mlflow-tracking-server/production-test`,
      ...AWS_CREDENTIALS,
      // aws.mainAccount asks STS which account its credentials belong to (GetCallerIdentity) before it uses them
      // for an ARN: the emulator's STS answers 123456789012, the demo ARNs' account.
      AWS_ENDPOINT_URL_STS: SAGEMAKER_ENDPOINT,
    };
  }

  /** Starts it and waits for readiness; returns the milliseconds that took. */
  async start() {
    const started = Date.now();
    const log = fs.openSync(this.logFile, 'a');
    const logStart = fs.fstatSync(log).size; // a restart appends: read only this start's lines
    // The image's CMD (node packages/backend --config ...), then this instance's test layer.
    const [command, ...args] = DOCKERFILE.cmd;
    assert.equal(command, 'node');
    this.child = spawn(
      process.execPath,
      [...args, '--config', this.configFile],
      {
        cwd: APP_DIR,
        env: this.environment(),
        detached: true,
        stdio: ['ignore', log, log],
      },
    );
    fs.closeSync(log);
    this.exited = new Promise(resolve => this.child.once('exit', resolve));
    running.add(this);
    try {
      await waitFor(
        `backend ${this.name} ready`,
        async () => {
          if (this.child.exitCode !== null)
            throw new Error(
              `backend ${this.name} exited with ${this.child.exitCode}`,
            );
          const res = await fetch(
            `${this.baseUrl}/.backstage/health/v1/readiness`,
          ).catch(() => undefined);
          return res?.status === 200;
        },
        120_000,
      );
    } catch (error) {
      const tail = this.logSince(logStart).split('\n').slice(-30).join('\n');
      throw new Error(`${error.message}\n--- ${this.logFile}\n${tail}`);
    }
    return Date.now() - started;
  }

  /**
   * Starts it as Kubernetes runs a pod's container: when start-up fails the process exits
   * (packages/backend/src/index.ts) and is started again after Kubernetes' back-off (10 s, then 20 s), twice at
   * most. Returns the milliseconds to readiness and the number of restarts.
   */
  async startAsPod() {
    const started = Date.now();
    for (let restarts = 0; ; restarts++) {
      try {
        await this.start();
        return { ms: Date.now() - started, restarts };
      } catch (error) {
        // Alive and never ready (nothing would restart it), or still failing after two restarts.
        if (this.child.exitCode === null || restarts === 2) throw error;
        running.delete(this);
        await sleep(10_000 * 2 ** restarts);
      }
    }
  }

  logSince(offset) {
    return fs.readFileSync(this.logFile).subarray(offset).toString('utf8');
  }

  /** SIGTERM, as Kubernetes stops a pod; SIGKILL after 30 s. */
  async stop() {
    // A process ended by a signal has no exit code, only a signal code.
    if (
      !this.child ||
      this.child.exitCode !== null ||
      this.child.signalCode !== null
    )
      return;
    process.kill(-this.child.pid, 'SIGTERM');
    const kill = setTimeout(
      () => process.kill(-this.child.pid, 'SIGKILL'),
      30_000,
    );
    await this.exited;
    clearTimeout(kill);
    running.delete(this);
  }

  fetch(route, { token = TOKEN, ...init } = {}) {
    const headers = {
      ...init.headers,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
    return fetch(`${this.baseUrl}${route}`, { ...init, headers });
  }
}

const running = new Set();
// Whatever happens to the test process, no backend outlives it.
process.on('exit', () => {
  for (const backend of running) {
    try {
      process.kill(-backend.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** GET an entity route of the plugin, waiting while the catalog has not ingested the entity yet (404). */
async function entityRoute(backend, entity, route) {
  return waitFor(
    `${entity}/${route} on ${backend.name}`,
    async () => {
      const res = await backend.fetch(
        `/api/sagemaker-mlflow/v1/entities/${entity}/${route}`,
      );
      if (res.status === 404) return undefined;
      return { status: res.status, body: await res.json() };
    },
    120_000,
  );
}

let a;
let b;
let database;

before(async () => {
  const ports = await freePorts(2);
  a = new Backend('a', ports[0]);
  b = new Backend('b', ports[1]);
  fs.writeFileSync(
    CATALOG_FILE,
    JSON.stringify({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: CACHE_ENTITY,
        annotations: {
          'aws.amazon.com/sagemaker-pipeline-arn': `arn:aws:sagemaker:us-east-1:${ACCOUNT}:pipeline/${PIPELINE}`,
        },
      },
      spec: {
        type: 'ml-model',
        lifecycle: 'experimental',
        owner: 'group:default/ml-platform',
      },
    }),
  );
});

after(async () => {
  await database?.end();
  await Promise.all([a?.stop(), b?.stop()]);
});

/** N distinct free loopback ports, all held until each is chosen. */
async function freePorts(count) {
  const net = await import('node:net');
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise(resolve => {
          const server = net
            .createServer()
            .listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map(s => s.address().port);
  await Promise.all(servers.map(s => new Promise(resolve => s.close(resolve))));
  return ports;
}

test('the Dockerfile takes only files .dockerignore lets through, and installs the way this layer did', () => {
  const allowed = fs
    .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .filter(line => line.startsWith('!'))
    .map(line => line.slice(1));
  for (const file of DOCKERFILE.copied) {
    assert.ok(
      allowed.includes(file),
      `COPY ${file}: .dockerignore keeps it out of the build context`,
    );
  }
  // scripts/test-production ran these in the unpacked app: the same commands as the image's RUN lines.
  for (const command of [
    'tar xzf skeleton.tar.gz',
    'yarn workspaces focus --all --production',
    'tar xzf bundle.tar.gz',
  ]) {
    assert.ok(
      DOCKERFILE.runs.some(run => run.includes(command)),
      `no RUN ${command} in the Dockerfile`,
    );
  }
  assert.deepEqual(DOCKERFILE.cmd, [
    'node',
    'packages/backend',
    '--config',
    'app-config.yaml',
    '--config',
    'app-config.production.yaml',
  ]);
});

test("the production profile's config matches the backend's config schema and uses no deprecated key", async () => {
  // With the variables set as for the instances below, so no value is left out of the check.
  const { stdout, stderr } = await promisify(execFile)(
    'yarn',
    [
      'backstage-cli',
      'config:check',
      '--strict',
      '--deprecated',
      '--package',
      'backend',
      '--config',
      'app-config.yaml',
      '--config',
      'app-config.production.yaml',
    ],
    { cwd: ROOT, env: a.environment() },
  );
  const output = `${stdout}${stderr}`;
  assert.match(
    output,
    /Loaded config from app-config.yaml, app-config.production.yaml/,
  );
  assert.doesNotMatch(output, /deprecated/i);
});

test('two instances start together from the bundle on one PostgreSQL and one Redis, and report ready', async () => {
  // As two replicas of a first rollout: both run the plugins' migrations on one empty database. The one that
  // loses a migration lock exits and is started again, as Kubernetes restarts its container.
  const [startA, startB] = await Promise.all([a.startAsPod(), b.startAsPod()]);
  const seconds = ({ ms, restarts }) =>
    `${(ms / 1000).toFixed(1)} s${
      restarts ? ` (${restarts} restart(s): lost a migration lock)` : ''
    }`;
  measured(
    `startup of two instances together on an empty database, to readiness: a ${seconds(
      startA,
    )}, b ${seconds(startB)}`,
  );
  for (const backend of [a, b]) {
    const res = await backend.fetch('/.backstage/health/v1/readiness', {
      token: null,
    });
    assert.equal(res.status, 200);
  }
});

test('serves the built app from the bundle', async () => {
  const res = await a.fetch('/catalog', { token: null });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/html/);
  assert.match(await res.text(), /<div id="root">/);
});

test("keeps the catalog in PostgreSQL: the catalog's tables in backstage_plugin_catalog hold the demo entity", async () => {
  database = new pg.Client({
    host: '127.0.0.1',
    port: PG_PORT,
    user: 'backstage',
    database: 'backstage_plugin_catalog',
  });
  await database.connect();
  const tables = await database.query(
    "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
  );
  const names = tables.rows.map(row => row.table_name);
  for (const table of [
    'final_entities',
    'locations',
    'refresh_state',
    'relations',
    'search',
  ]) {
    assert.ok(
      names.includes(table),
      `table ${table} missing from backstage_plugin_catalog: ${names.join(
        ', ',
      )}`,
    );
  }
  const row = await waitFor(
    'component:default/demo-model in final_entities',
    async () =>
      (
        await database.query(
          "select final_entity from final_entities where entity_ref = 'component:default/demo-model' and final_entity is not null",
        )
      ).rows[0],
    120_000,
  );
  assert.equal(JSON.parse(row.final_entity).metadata.name, 'demo-model');
});

test('tells the owner group of the pending demo version once: one event posted to both instances, one notification', async () => {
  // As an EventBridge API destination posts SageMaker's event (the production config lists the topic); the group
  // is named as the event names it, by name in the event's account and region.
  const event = {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: ACCOUNT,
    region: 'us-east-1',
    time: new Date().toISOString(),
    resources: [],
    detail: {
      ModelPackageGroupName: 'demo-model',
      ModelApprovalStatus: 'PendingManualApproval',
    },
  };
  const post = backend =>
    backend.fetch('/api/events/http/aws.sagemaker', {
      token: null,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
  const statuses = (await Promise.all([post(a), post(b)])).map(r => r.status);
  assert.deepEqual(statuses, [202, 202]);
  const notifications = new pg.Client({
    host: '127.0.0.1',
    port: PG_PORT,
    user: 'backstage',
    database: 'backstage_plugin_notifications',
  });
  await notifications.connect();
  try {
    // One row per pending version (earlier layers may have left more than one pending): each told once.
    const told = async () =>
      (
        await notifications.query(
          `select title, count(*) as n, count(updated) as updated from notification
           where "user" = 'user:default/guest' and title like '%awaits approval' group by title`,
        )
      ).rows;
    await waitFor(
      'a notification for the guest (member of ml-platform)',
      async () => (await told()).length > 0,
      30_000,
    );
    // Both instances checked the entity; a second notification would have been stored by now.
    await sleep(3_000);
    for (const { title, n, updated } of await told()) {
      assert.equal(Number(n), 1, `'${title}' stored once`);
      // Sent once: a second send of its scope would have updated the one stored.
      assert.equal(Number(updated), 0, `'${title}' sent once, never updated`);
    }
  } finally {
    await notifications.end();
  }
});

test("answers the plugin's routes for the static external-access token, and only for it", async () => {
  const summary = await entityRoute(a, DEMO, 'summary');
  assert.equal(summary.status, 200);
  for (const [name, section] of Object.entries(summary.body)) {
    assert.ok(
      section.data,
      `summary section ${name}: ${JSON.stringify(section.error)}`,
    );
  }
  assert.match(
    summary.body.latestExecution.data.arn,
    /pipeline\/demo-model-pipeline\/execution\//,
  );
  assert.ok(
    summary.body.champion.data.aliases.includes('champion'),
    JSON.stringify(summary.body.champion),
  );
  assert.equal(
    summary.body.champion.data.modelPackage.approvalStatus,
    'Approved',
  );
  assert.deepEqual(summary.body.endpoints.data, [
    { name: 'demo-model-staging', status: 'InService' },
  ]);

  // MLflow through the SigV4 signer, and the other instance.
  const versions = await entityRoute(b, DEMO, 'model-versions');
  assert.equal(versions.status, 200);
  assert.ok(
    versions.body.versions.data.items.length >= 1,
    JSON.stringify(versions.body.versions),
  );

  const route = `/api/sagemaker-mlflow/v1/entities/${DEMO}/summary`;
  assert.equal((await a.fetch(route, { token: null })).status, 401);
  assert.equal((await a.fetch(route, { token: `${TOKEN}x` })).status, 401);
  // The token's access restrictions name the plugins it may call: not the scaffolder.
  assert.equal((await a.fetch('/api/scaffolder/v2/actions')).status, 403);
  // A service principal skips the permission policy: deleting an entity is refused only because the production
  // profile names no service principal in sagemakerMlflow.permissions.servicePrincipals.
  const entity = await a.fetch(
    '/api/catalog/entities/by-name/component/default/demo-model',
  );
  assert.equal(entity.status, 200);
  const { uid } = (await entity.json()).metadata;
  assert.equal(
    (await a.fetch(`/api/catalog/entities/by-uid/${uid}`, { method: 'DELETE' }))
      .status,
    403,
  );
  assert.equal(
    (await a.fetch(`/api/catalog/entities/by-uid/${uid}`)).status,
    200,
  );
});

test("shares one cached answer through Redis: instance B serves A's answer", async () => {
  const sagemaker = new SageMakerClient({
    endpoint: SAGEMAKER_ENDPOINT,
    region: AWS_CREDENTIALS.AWS_REGION,
    credentials: {
      accessKeyId: AWS_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: AWS_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
    maxAttempts: 1,
  });
  await sagemaker.send(
    new CreatePipelineCommand({
      PipelineName: PIPELINE,
      PipelineDefinition: JSON.stringify({
        Version: '2020-12-01',
        Parameters: [],
        Steps: [],
      }),
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/model-factory-test`,
    }),
  );
  await sagemaker.send(
    new StartPipelineExecutionCommand({ PipelineName: PIPELINE }),
  );

  const entity = `default/component/${CACHE_ENTITY}`;
  const first = await entityRoute(a, entity, 'executions?pageSize=10');
  assert.equal(first.status, 200);
  assert.ok(
    first.body.executions.data,
    JSON.stringify(first.body.executions.error),
  );
  assert.equal(first.body.executions.data.items.length, 1);

  // Upstream changes. B answers the same request from the value A cached in Redis, so it cannot see the change ...
  await sagemaker.send(
    new StartPipelineExecutionCommand({ PipelineName: PIPELINE }),
  );
  const second = await entityRoute(b, entity, 'executions?pageSize=10');
  assert.equal(second.status, 200);
  assert.deepEqual(second.body, first.body);
  // ... while a request nobody cached yet (another page size) reaches SageMaker and does.
  const fresh = await entityRoute(b, entity, 'executions?pageSize=11');
  assert.equal(fresh.body.executions.data.items.length, 2);

  sagemaker.destroy();

  const { stdout } = await promisify(execFile)('redis-cli', [
    '-p',
    String(REDIS_PORT),
    '--scan',
    '--pattern',
    '*sagemaker-mlflow*',
  ]);
  assert.ok(
    stdout.trim().split('\n').filter(Boolean).length > 0,
    'no sagemaker-mlflow key in Redis',
  );
});

test('keeps the catalog across a restart: after both instances stop, a new one serves the same entity at once', async () => {
  const before = await (
    await a.fetch('/api/catalog/entities/by-name/component/default/demo-model')
  ).json();
  await Promise.all([a.stop(), b.stop()]);
  const ms = await a.start();
  measured(
    `restart of one instance (to readiness) ${(ms / 1000).toFixed(1)} s`,
  );
  // No waiting for ingestion: the entity is already in the database, with the uid it was given the first time
  // (an emptied database would give it a new one).
  const res = await a.fetch(
    '/api/catalog/entities/by-name/component/default/demo-model',
  );
  assert.equal(res.status, 200);
  assert.equal((await res.json()).metadata.uid, before.metadata.uid);
  const summary = await a.fetch(
    `/api/sagemaker-mlflow/v1/entities/${DEMO}/summary`,
  );
  assert.equal(summary.status, 200);
});
