import { UpstreamError } from '../errors';

/** An error that says the upstream did not answer at all (a timeout, a refused or dropped connection). */
export function isUnreachable(error: unknown): boolean {
  const e = error as {
    name?: string;
    code?: string;
    unreachable?: boolean;
    cause?: { code?: string };
  };
  return (
    e?.unreachable === true ||
    /^(TimeoutError|AbortError|RequestTimeout|TimeoutException)$/.test(
      e?.name ?? '',
    ) ||
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|UND_ERR_\w+)$/.test(
      e?.code ?? e?.cause?.code ?? '',
    )
  );
}

/** The breaker is open: the upstream is not called until its cool-down ends. */
export class CircuitOpenError extends UpstreamError {
  readonly unreachable = true;
}

/**
 * Fails fast while an upstream stays unreachable: after `failures` calls in a row that got no answer, calls fail at
 * once for `coolDownMs`; then one call probes (the others still fail fast) and its answer closes the breaker.
 * Answers of any kind (an error status too) count as reachable: only silence opens it.
 */
export class CircuitBreaker {
  private failuresInARow = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly upstream: string,
    private readonly options: { failures: number; coolDownMs: number },
  ) {}

  async run<T>(call: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const open = this.failuresInARow >= this.options.failures;
    if (open && (now < this.openUntil || this.probing)) {
      throw new CircuitOpenError(
        this.upstream,
        `did not answer its last ${
          this.failuresInARow
        } calls: not called again for ${Math.ceil(
          Math.max(this.openUntil - now, 0) / 1000,
        )} s`,
        undefined,
        undefined,
        {
          code: 'unavailable',
          fix: `check that ${this.upstream} answers; the portal tries it again after sagemakerMlflow.upstreamBreaker.coolDownSeconds`,
        },
      );
    }
    // After the cool-down this call is the probe; the others fail fast until it answers.
    if (open) this.probing = true;
    try {
      const result = await call();
      this.failuresInARow = 0;
      return result;
    } catch (error) {
      if (isUnreachable(error)) {
        this.failuresInARow++;
        if (this.failuresInARow >= this.options.failures) {
          this.openUntil = Date.now() + this.options.coolDownMs;
        }
      } else {
        this.failuresInARow = 0;
      }
      throw error;
    } finally {
      if (open) this.probing = false;
    }
  }
}
