import { CircuitBreaker } from './CircuitBreaker';
import {
  beforeDeadline,
  UNREACHABLE_AFTER_MS,
  withRequestDeadline,
} from './requestDeadline';

describe('the request deadline', () => {
  it('ends a call that outlives it with an error naming the service and the deadline', async () => {
    const never = new Promise(() => {});
    const started = Date.now();
    await expect(
      withRequestDeadline(50, () =>
        beforeDeadline('SageMaker ListTags', never),
      ),
    ).rejects.toThrow(
      "SageMaker ListTags: no answer within the request's 50 ms deadline",
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reaches calls started later, through awaits, and lets an answer before it through', async () => {
    const result = await withRequestDeadline(1000, async () => {
      await new Promise(r => setTimeout(r, 10));
      return beforeDeadline('MLflow', Promise.resolve('answer'));
    });
    expect(result).toBe('answer');
    // Outside a request there is no deadline: the call is left to its own timeout.
    const outside = Promise.resolve('no deadline');
    await expect(beforeDeadline('MLflow', outside)).resolves.toBe(
      'no deadline',
    );
  });

  it("does not count a request's lateness against the upstream: expired or nearly expired deadlines leave the breaker closed", async () => {
    // An attacker's review: a few late requests (a slow catalog read first) opened the breaker for every user.
    const breaker = new CircuitBreaker('SageMaker API of us-east-1', {
      failures: 3,
      coolDownMs: 60_000,
    });
    const never = () => new Promise(() => {});
    for (const ms of [1, 5, 20]) {
      await withRequestDeadline(ms, async () => {
        await new Promise(r => setTimeout(r, ms === 1 ? 10 : 0)); // the first comes after its deadline
        await breaker
          .run(() => beforeDeadline('SageMaker ListTags', never()))
          .catch(e => e);
      });
    }
    await expect(breaker.run(() => Promise.resolve('answered'))).resolves.toBe(
      'answered',
    );
  });

  it('counts a call the deadline ended after it waited a while: a hung upstream still opens the breaker', async () => {
    const breaker = new CircuitBreaker('MLflow', {
      failures: 1,
      coolDownMs: 60_000,
    });
    await withRequestDeadline(UNREACHABLE_AFTER_MS + 50, () =>
      breaker
        .run(() => beforeDeadline('MLflow', new Promise(() => {})))
        .catch(e => e),
    );
    await expect(breaker.run(() => Promise.resolve('x'))).rejects.toThrow(
      'did not answer its last 1 calls',
    );
  });
});
