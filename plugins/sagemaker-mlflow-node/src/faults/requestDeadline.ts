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

/** The upstream did not answer before the request's deadline (→ 502, or that section's error). */
export class DeadlineExceededError extends UpstreamError {
  readonly unreachable = true;
  constructor(service: string, ms: number) {
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
  const exceeded = () => new DeadlineExceededError(service, deadline.ms);
  if (deadline.signal.aborted) {
    call.catch(() => {}); // already started: its late failure has nobody to tell
    return Promise.reject(exceeded());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(exceeded());
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    call
      .then(resolve, reject)
      .finally(() => deadline.signal.removeEventListener('abort', onAbort));
  });
}
