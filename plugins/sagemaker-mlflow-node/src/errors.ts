import { CustomErrorBase } from '@backstage/errors';

/**
 * An upstream service (SageMaker, MLflow, a model endpoint) failed or answered with an error. The backend answers
 * 502 with this message: the request was fine, the service behind it was not.
 */
export class UpstreamError extends CustomErrorBase {
  name = 'UpstreamError' as const;
  constructor(
    readonly service: string,
    message: string,
    cause?: unknown,
    /** The HTTP status the service answered with, when it answered. */
    readonly upstreamStatus?: number,
  ) {
    super(`${service}: ${message}`, cause);
  }
}

/** The upstream service throttled us; retrying after `retryAfterSeconds` may succeed (→ 503). */
export class UpstreamThrottledError extends CustomErrorBase {
  name = 'UpstreamThrottledError' as const;
  constructor(
    readonly service: string,
    readonly retryAfterSeconds: number,
    cause?: unknown,
  ) {
    super(
      `${service} is throttling requests; retry in ${retryAfterSeconds}s`,
      cause,
    );
  }
}
