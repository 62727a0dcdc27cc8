// A benchmark prints what it measures and asserts nothing (DESIGN §10).
/* eslint-disable jest/expect-expect */
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  ListModelPackagesCommand,
} from '@aws-sdk/client-sagemaker';
import { testStack } from '../stack';
import {
  BENCH_AUTH as auth,
  serverUrl,
  startBenchBackend,
} from './benchBackend';
import { startDelayProxy } from './delayProxy';
import { p50, report, time } from './measure';

// Run by `yarn bench` (scripts/bench): the versions route for a group with ~1,000 model packages (issue 11).
const DELAY_MS = 50;
const LINKED = 1000; // packages with an MLflow version each, as the template registers them
const SAGEMAKER_ONLY = 5; // registered by another pipeline (no MLflow metadata), oldest first
const GROUP = 'bench-versions';
const MODEL = 'bench-versions-model';
const stack = testStack();
const groupArn = `arn:aws:sagemaker:us-east-1:123456789012:model-package-group/${GROUP}`;

async function mlflow(path: string, body: object) {
  const res = await fetch(`${stack.mlflowUrl}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The group and model: SageMaker-only packages first, then one package per MLflow version, linked both ways. */
async function createGroup() {
  const existing = await stack.sagemaker
    .send(new ListModelPackagesCommand({ ModelPackageGroupName: GROUP }))
    .catch(() => undefined);
  if (existing?.ModelPackageSummaryList?.length) return;
  await stack.sagemaker.send(
    new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }),
  );
  for (let i = 0; i < SAGEMAKER_ONLY; i++) {
    await stack.sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: GROUP,
        ModelApprovalStatus: 'PendingManualApproval',
      }),
    );
  }
  await mlflow('registered-models/create', { name: MODEL });
  // One at a time: package and MLflow version numbers then go up together.
  for (let v = 1; v <= LINKED; v++) {
    const pkg = await stack.sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: GROUP,
        ModelApprovalStatus: 'PendingManualApproval',
        CustomerMetadataProperties: {
          'mlflow.registered_model_name': MODEL,
          'mlflow.model_version': String(v),
        },
      }),
    );
    await mlflow('model-versions/create', {
      name: MODEL,
      source: `s3://bench/${MODEL}/${v}`,
    });
    await mlflow('model-versions/set-tag', {
      name: MODEL,
      version: String(v),
      key: 'sagemaker.model_package_arn',
      value: pkg.ModelPackageArn,
    });
  }
}

describe('versions benchmark', () => {
  it('measures the versions route of a group with ~1,000 model packages', async () => {
    const created = await time(createGroup);
    const mlflowProxy = await startDelayProxy(stack.mlflowUrl, DELAY_MS);
    const sagemaker = await startDelayProxy(stack.sagemakerEndpoint, DELAY_MS);
    const server = await startBenchBackend(
      {
        mlflowUrl: mlflowProxy.url,
        sagemakerUrl: sagemaker.url,
        modelUrl: stack.modelUrl,
      },
      {
        cacheTtlSeconds: 300,
        components: {
          'bench-versions': {
            'aws.amazon.com/sagemaker-model-package-group-arn': groupArn,
            'mlflow.org/registered-model-name': MODEL,
          },
        },
      },
    );
    const base = `${serverUrl(
      server,
    )}/api/sagemaker-mlflow/v1/entities/default/component/bench-versions`;
    const fetchOk = async (route: string) => {
      const res = await fetch(`${base}/${route}`, {
        headers: { authorization: auth },
      });
      if (res.status !== 200)
        throw new Error(`${route}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const callsOf = (proxy: typeof sagemaker) =>
      [...proxy.calls]
        .map(([k, n]) => `${k.replace(/^POST \/ SageMaker\./, '')} x${n}`)
        .join(', ');

    // Cold: each page size is a cache key of its own, so each load is cold.
    const cold: number[] = [];
    let coldCalls = '';
    let joined = 0;
    for (let i = 0; i < 5; i++) {
      sagemaker.reset();
      let page: any;
      cold.push(
        await time(async () => {
          page = await fetchOk(`model-versions?pageSize=${20 + i}`);
        }),
      );
      if (i === 0) {
        coldCalls = callsOf(sagemaker);
        joined = Object.keys(page.modelPackages.data ?? {}).length;
      }
    }
    const warm: number[] = [];
    for (let i = 0; i < 20; i++)
      warm.push(await time(() => fetchOk('model-versions?pageSize=20')));

    // The SageMaker-only versions, when the backend has them: pages until the oldest packages are reached.
    const only: string[] = [];
    const probe = await fetch(`${base}/sagemaker-only-versions`, {
      headers: { authorization: auth },
    });
    if (probe.status === 200) {
      sagemaker.reset();
      let token: string | undefined;
      let pages = 0;
      let found = 0;
      const firstPage = await time(async () => {
        const page = await fetchOk('sagemaker-only-versions?pageSize=100');
        pages++;
        found += page.items.length;
        token = page.nextPageToken;
      });
      const firstCalls = callsOf(sagemaker);
      const all = await time(async () => {
        while (token) {
          const page = await fetchOk(
            `sagemaker-only-versions?pageSize=100&pageToken=${encodeURIComponent(
              token,
            )}`,
          );
          pages++;
          found += page.items.length;
          token = page.nextPageToken;
        }
      });
      only.push(
        `sagemaker-only-versions, cold, first page of 100 packages: ${firstPage.toFixed(
          0,
        )} ms; SageMaker calls: ${firstCalls}`,
        `sagemaker-only-versions, every page (${pages} pages, ${found} found): ${(
          firstPage + all
        ).toFixed(0)} ms; SageMaker calls in all: ${callsOf(sagemaker)}`,
      );
    }
    await mlflowProxy.close();
    await sagemaker.close();

    report('versions', [
      `group of ${
        LINKED + SAGEMAKER_ONLY
      } model packages (${SAGEMAKER_ONLY} without MLflow metadata), ${DELAY_MS} ms added per upstream call (set up in ${(
        created / 1000
      ).toFixed(0)} s)`,
      `model-versions cold p50 (page of 20-24): ${p50(cold).toFixed(
        0,
      )} ms (${cold
        .map(c => c.toFixed(0))
        .join(', ')}); ${joined} of 20 versions joined to packages`,
      `  SageMaker calls of one cold page of 20: ${coldCalls}`,
      `model-versions warm p50: ${p50(warm).toFixed(1)} ms`,
      ...only,
    ]);
  }, 600_000);
});
