import { AsyncLocalStorage } from 'node:async_hooks';
import { UpstreamError } from '../errors';

/**
 * The overall deadline of the HTTP request being served, carried to every upstream call it makes (however deep,
 * through caches, single-flight loads and fan-outs) without threading a signal through every signature.
 */
const deadlines = new AsyncLocalStorage<{ signal: AbortSignal; ms: number }>();

/** Runs `fn`, and everything it starts, under a deadline of `ms` from now. */
export function withRequestDeadline<T>(ms: number, fn: () => T): T {
  return deadlines.run({ signal: AbortSignal.timeout(ms), ms }, fn);
}

/** The current request's deadline: its signal and length; undefined outside a request (a scheduled collator). */
export function requestDeadline():
  | { signal: AbortSignal; ms: number }
  | undefined {
  return deadlines.getStore();
}

/**
 * A call that waited this long when the request's deadline ended it counts as the upstream not answering (toward its
 * circuit breaker). A call cut short sooner says more about the request (it came late to the upstream: a slow
 * catalog read, the last round of a fan-out) than about the upstream, and must not let a few late requests switch
 * an upstream off for everyone.
 */
export const UNREACHABLE_AFTER_MS = 1000;

/** The upstream did not answer before the request's deadline (→ 502, or that section's error). */
export class DeadlineExceededError extends UpstreamError {
  constructor(
    service: string,
    ms: number,
    /** Whether this says the upstream is not answering (see UNREACHABLE_AFTER_MS). */
    readonly unreachable = true,
  ) {
    super(
      service,
      `no answer within the request's ${ms} ms deadline (sagemakerMlflow.requestTimeoutMs)`,
      undefined,
      undefined,
      {
        code: 'timeout',
        fix: `check that ${
          service.split(' ')[0]
        } answers; the portal keeps answering without it meanwhile`,
      },
    );
  }
}

/** Settles with `call`, or with a DeadlineExceededError when the request's deadline passes first. */
export function beforeDeadline<T>(
  service: string,
  call: Promise<T>,
): Promise<T> {
  const deadline = requestDeadline();
  if (!deadline) return call;
  if (deadline.signal.aborted) {
    call.catch(() => {}); // already started: its late failure has nobody to tell
    return Promise.reject(
      new DeadlineExceededError(service, deadline.ms, false),
    );
  }
  const started = performance.now();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(
        new DeadlineExceededError(
          service,
          deadline.ms,
          performance.now() - started >= UNREACHABLE_AFTER_MS,
        ),
      );
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    call
      .then(resolve, reject)
      .finally(() => deadline.signal.removeEventListener('abort', onAbort));
  });
}
