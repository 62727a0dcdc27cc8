// A benchmark prints what it measures and asserts nothing (DESIGN §10).
/* eslint-disable jest/expect-expect */
import request from 'supertest';
import { testStack } from '../stack';
import {
  BENCH_AUTH as auth,
  DEMO_BASE as base,
  serverUrl,
  startBenchBackend,
  TAB,
} from './benchBackend';
import { startDelayProxy } from './delayProxy';
import { p50, report, time } from './measure';

// Run by `yarn bench` (scripts/bench), not by the tests: prints ratios, asserts nothing (DESIGN §10).
const DELAY_MS = 50;
const stack = testStack();

describe('backend benchmark', () => {
  it('measures cold and warm latency, call fan-in and invoke overhead', async () => {
    const mlflow = await startDelayProxy(stack.mlflowUrl, DELAY_MS);
    const sagemaker = await startDelayProxy(stack.sagemakerEndpoint, DELAY_MS);
    const backend = () =>
      startBenchBackend(
        {
          mlflowUrl: mlflow.url,
          sagemakerUrl: sagemaker.url,
          modelUrl: stack.modelUrl,
        },
        { cacheTtlSeconds: 300 },
      );
    const get = (server: any, route: string) =>
      request(server)
        .get(`${base}/${route}`)
        .set('Authorization', auth)
        .expect(200);

    // Cold: the tab's three requests in parallel, nothing cached. Sent as a browser sends them: with fetch, on
    // connections the page already has open (three are opened first, on the health route), so what is timed is the
    // backend and its upstreams, not the set-up of a test client in the backend's own process.
    const server = await backend();
    const tabUrl = `${serverUrl(server)}${base}`;
    await Promise.all(
      TAB.map(() =>
        fetch(`${serverUrl(server)}/api/sagemaker-mlflow/health`).then(r =>
          r.text(),
        ),
      ),
    );
    const fetchOk = async (route: string) => {
      const res = await fetch(`${tabUrl}/${route}`, {
        headers: { authorization: auth },
      });
      if (res.status !== 200) throw new Error(`${route}: ${res.status}`);
      return res.json();
    };
    mlflow.reset();
    sagemaker.reset();
    const coldStart = performance.now();
    const cold = await time(() => Promise.all(TAB.map(fetchOk)));
    const coldCalls = mlflow.total() + sagemaker.total();
    const coldTimeline = [...mlflow.timeline, ...sagemaker.timeline]
      .sort((a, b) => a.start - b.start)
      .map(
        c =>
          `    ${(c.start - coldStart).toFixed(0).padStart(4)}-${(
            (c.end ?? NaN) - coldStart
          )
            .toFixed(0)
            .padEnd(4)} ms ${c.key}`,
      );
    // One upstream round trip as the backend sees it: the added delay plus the server's own time.
    const rtt: number[] = [];
    for (let i = 0; i < 5; i++) {
      rtt.push(
        await time(() =>
          fetch(
            `${mlflow.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=demo-model`,
          ).then(r => r.text()),
        ),
      );
    }
    // Each request alone, on a fresh instance: which one bounds the tab.
    const alone: Record<string, number> = {};
    for (const route of TAB) {
      const own = await backend();
      alone[route] = await time(() => get(own, route));
    }

    // Warm: the same requests again, answered from the cache.
    const warm: Record<string, number[]> = {};
    for (const route of TAB) {
      warm[route] = [];
      for (let i = 0; i < 50; i++)
        warm[route].push(await time(() => get(server, route)));
    }

    // Fan-in: 100 concurrent identical cold requests on a fresh instance.
    const fresh = await backend();
    mlflow.reset();
    sagemaker.reset();
    await Promise.all(
      Array.from({ length: 100 }, () => get(fresh, 'model-versions')),
    );
    const fanIn = [...mlflow.calls, ...sagemaker.calls];

    // Invoke: through the backend vs straight to the model server (no added delay on either path).
    const champion = await fetch(
      `${stack.mlflowUrl}/api/2.0/mlflow/registered-models/alias?name=demo-model&alias=champion`,
    ).then(r => r.json());
    const sample = await fetch(
      `${stack.mlflowUrl}/get-artifact?run_uuid=${champion.model_version.run_id}&path=validation/validation_sample.json`,
    ).then(r => r.json());
    const payload = JSON.stringify({
      dataframe_split: {
        columns: sample.columns,
        data: sample.data.slice(0, 5),
      },
    });
    // Both paths through the same client (fetch, connections kept alive, as a browser does): what differs is
    // only what the backend adds.
    const url = serverUrl(server);
    const invokeDirect = () =>
      fetch(`${stack.modelUrl}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
      }).then(r => r.text());
    const invokeViaBackend = () =>
      fetch(`${url}${base}/endpoints/demo-model-staging/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: payload,
      }).then(async r => {
        if (r.status !== 200)
          throw new Error(`invocation: ${r.status} ${await r.text()}`);
        return r.text();
      });
    // The first invocation reads the binding tag (and opens connections); the window then covers the rest.
    mlflow.reset();
    sagemaker.reset();
    const firstStart = performance.now();
    const firstInvoke = await time(invokeViaBackend);
    const invokeTimeline = [...mlflow.timeline, ...sagemaker.timeline].map(
      c =>
        `    ${(c.start - firstStart).toFixed(0).padStart(4)}-${(
          (c.end ?? NaN) - firstStart
        )
          .toFixed(0)
          .padEnd(4)} ms ${c.key}`,
    );
    mlflow.reset();
    sagemaker.reset();
    const direct: number[] = [];
    const viaBackend: number[] = [];
    // What every invocation pays besides the model: the catalog read of the entity with the caller's
    // credentials, and the HTTP stack itself (an unauthenticated route that does nothing).
    const catalogRead: number[] = [];
    const httpFloor: number[] = [];
    for (let i = 0; i < 200; i++) {
      direct.push(await time(invokeDirect));
      viaBackend.push(await time(invokeViaBackend));
      catalogRead.push(
        await time(() =>
          fetch(
            `${url}/api/catalog/entities/by-name/component/default/demo-model`,
            { headers: { authorization: auth } },
          ).then(r => r.text()),
        ),
      );
      httpFloor.push(
        await time(() =>
          fetch(`${url}/api/sagemaker-mlflow/health`).then(r => r.text()),
        ),
      );
    }
    const invokeUpstream = [...mlflow.calls, ...sagemaker.calls];
    await mlflow.close();
    await sagemaker.close();

    const lines = [
      `upstream delay per call: ${DELAY_MS} ms`,
      `cold tab (summary + executions + model-versions in parallel): ${cold.toFixed(
        0,
      )} ms = ${(cold / DELAY_MS).toFixed(2)} x the added delay, ${(
        cold / p50(rtt)
      ).toFixed(2)} x one measured upstream RTT of ${p50(rtt).toFixed(
        0,
      )} ms (goal <= 2.0)`,
      `  cold tab timeline (upstream call start-end, from the tab's first request):`,
      ...coldTimeline,
      `  upstream calls of the cold tab: ${coldCalls}; each request alone, cold: ${TAB.map(
        r => `${r} ${alone[r].toFixed(0)} ms`,
      ).join(', ')}`,
      ...TAB.map(
        route =>
          `warm p50 ${route}: ${p50(warm[route]).toFixed(2)} ms (goal <= 10)`,
      ),
      `upstream calls for 100 concurrent identical model-versions requests: ${
        fanIn.length === 0 ? 0 : fanIn.map(([k, n]) => `${k} x${n}`).join(', ')
      } (goal: 1 per resource)`,
      `invoke p50 direct ${p50(direct).toFixed(2)} ms, via backend ${p50(
        viaBackend,
      ).toFixed(2)} ms, overhead ${(p50(viaBackend) - p50(direct)).toFixed(
        2,
      )} ms (goal <= 5; both through fetch with keep-alive, ${
        direct.length
      } alternating calls; p50 of the pairs' differences ${p50(
        viaBackend.map((v, i) => v - direct[i]),
      ).toFixed(2)} ms)`,
      `  first invocation ${firstInvoke.toFixed(
        0,
      )} ms; its upstream calls (start-end from the request):${
        invokeTimeline.length === 0 ? ' none' : ''
      }`,
      ...invokeTimeline,
      `  upstream calls of the next ${viaBackend.length} invocations: ${
        invokeUpstream.length === 0
          ? 'none'
          : invokeUpstream.map(([k, n]) => `${k} x${n}`).join(', ')
      } (binding read within sagemakerMlflow.binding.invokeCacheSeconds)`,
      `  per-request parts, p50: catalog read of the entity ${p50(
        catalogRead,
      ).toFixed(2)} ms, HTTP floor (GET /health) ${p50(httpFloor).toFixed(
        2,
      )} ms`,
    ];
    report('backend', lines);
  }, 600_000);
});
