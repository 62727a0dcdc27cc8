// A benchmark prints what it measures and asserts nothing (DESIGN §10).
/* eslint-disable jest/expect-expect */
import type { Server } from 'http';
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { testStack } from '../stack';
import {
  BENCH_AUTH,
  DEMO_BASE,
  serverUrl,
  startBenchBackend,
} from './benchBackend';
import { startDelayProxy } from './delayProxy';
import { runAutocannon } from './loadClient';
import { quantile, report } from './measure';

// Run by `yarn bench` (scripts/bench), not by the tests: prints what it measured, asserts nothing (DESIGN §10).
const DELAY_MS = 50;
const CONNECTIONS = 200;
/** MODEL_FACTORY_BENCH_LOAD_SECONDS shortens (or lengthens) the run; the benchmark's own figure is 60 s. */
const SECONDS = Number(process.env.MODEL_FACTORY_BENCH_LOAD_SECONDS ?? 60);
/** The tab's routes: its three first requests and the endpoints section. */
const ROUTES = ['summary', 'executions', 'model-versions', 'endpoints'];
const stack = testStack();

// A full collection on demand, for "memory after it settled" (jest does not expose gc to a test).
setFlagsFromString('--expose-gc');
const gc: () => void = runInNewContext('gc');

const MB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const memory = () => {
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
};
const show = (m: ReturnType<typeof memory>) =>
  `heap ${MB(m.heapUsed)}, RSS ${MB(m.rss)}`;
const settle = async () => {
  gc();
  await new Promise(r => setTimeout(r, 2000));
  gc();
};

/**
 * Server-side time of every answer, by route (the plugin's routes, and the catalog reads the plugin makes for
 * them over loopback HTTP), and the requests left unanswered (the client gave up, or the run ended first).
 */
function recordAnswers(server: Server) {
  const answers = new Map<string, Array<{ at: number; ms: number }>>();
  let unanswered = 0;
  server.on('request', (req, res) => {
    const at = performance.now();
    // Express rewrites req.url while it routes (this listener runs after its own); originalUrl keeps it.
    const path = ((req as any).originalUrl ?? req.url ?? '').split('?')[0];
    const route = path.startsWith('/api/catalog/')
      ? 'catalog read'
      : path.split('/').pop() ?? '';
    res.on('close', () => {
      if (!res.writableFinished) {
        unanswered++;
        return;
      }
      if (!answers.has(route)) answers.set(route, []);
      answers.get(route)!.push({ at, ms: performance.now() - at });
    });
  });
  return { answers, unanswered: () => unanswered };
}

describe('load benchmark', () => {
  it(
    'serves 200 concurrent clients over the tab routes',
    async () => {
      const mlflow = await startDelayProxy(stack.mlflowUrl, DELAY_MS);
      const sagemaker = await startDelayProxy(
        stack.sagemakerEndpoint,
        DELAY_MS,
      );
      // The shipped cache TTL (30 s): a 60 s run sees the cache expire under load, as a portal does.
      const server = await startBenchBackend({
        mlflowUrl: mlflow.url,
        sagemakerUrl: sagemaker.url,
        modelUrl: stack.modelUrl,
      });
      const recorded = recordAnswers(server);
      await settle();
      const before = memory();
      mlflow.reset();
      sagemaker.reset();
      const start = performance.now();

      const result = await runAutocannon({
        url: serverUrl(server),
        connections: CONNECTIONS,
        duration: SECONDS,
        headers: { authorization: BENCH_AUTH },
        // Each client walks the routes in turn, again and again (all 200 open at once, cold cache).
        requests: ROUTES.map(route => ({
          method: 'GET',
          path: `${DEMO_BASE}/${route}`,
        })),
      });

      const after = memory();
      await settle();
      const settled = memory();
      const upstream = [...mlflow.calls, ...sagemaker.calls];
      await mlflow.close();
      await sagemaker.close();

      const all = [...recorded.answers.values()].flat();
      const slow = all.filter(a => a.ms > 1000);
      const lines = [
        `load: ${CONNECTIONS} concurrent clients x ${SECONDS} s over GET ${ROUTES.join(
          ', ',
        )} of demo-model (upstream delay ${DELAY_MS} ms per call, cache TTL 30 s, cold at the start)`,
        `  requests/s ${(result.requests.total / result.duration).toFixed(
          0,
        )} (${result.requests.total} in ${result.duration.toFixed(
          1,
        )} s; issue baseline ~334)`,
        `  latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms (issue baseline p50 555, p99 1900)`,
        `  errors ${result.errors} (of which timeouts after 10 s: ${result.timeouts}), non-2xx answers ${result.non2xx} (issue baseline: none)`,
        `  server-side p50 / p99 / max ms: ${[...recorded.answers]
          .map(
            ([route, answers]) =>
              `${route} ${[0.5, 0.99, 1]
                .map(q =>
                  quantile(
                    answers.map(a => a.ms),
                    q,
                  ).toFixed(0),
                )
                .join(' / ')}`,
          )
          .join(', ')}`,
        `  answers over 1 s: ${
          slow.length
        }, of which begun in the run's first 2 s: ${
          slow.filter(a => a.at - start < 2000).length
        }; requests left unanswered (client timeout, or in flight at the end): ${recorded.unanswered()}`,
        `  upstream calls during the run: ${
          upstream.length === 0
            ? 'none'
            : upstream.map(([k, n]) => `${k} x${n}`).join(', ')
        }`,
        `  backend memory: before ${show(before)}; right after ${show(
          after,
        )}; after GC and 2 s ${show(settled)} (heap ${
          settled.heapUsed >= before.heapUsed ? '+' : ''
        }${MB(
          settled.heapUsed - before.heapUsed,
        )} vs before; goal: back to its start)`,
      ];
      report('load', lines);
    },
    (SECONDS + 180) * 1000,
  );
});
