import { CircuitBreaker } from './CircuitBreaker';

const silence = () =>
  Promise.reject(
    Object.assign(new Error('no answer'), { name: 'TimeoutError' }),
  );
const answer = () => Promise.resolve('ok');

describe('CircuitBreaker', () => {
  it('opens after the configured calls in a row went unanswered, and fails fast without calling', async () => {
    const breaker = new CircuitBreaker('MLflow', {
      failures: 2,
      coolDownMs: 60_000,
    });
    await expect(breaker.run(silence)).rejects.toThrow('no answer');
    await expect(breaker.run(silence)).rejects.toThrow('no answer');
    const call = jest.fn(answer);
    await expect(breaker.run(call)).rejects.toThrow(
      /MLflow: did not answer its last 2 calls: not called again for 60 s/,
    );
    expect(call).not.toHaveBeenCalled();
  });

  it('is not opened by answers, even error answers', async () => {
    const breaker = new CircuitBreaker('MLflow', {
      failures: 2,
      coolDownMs: 60_000,
    });
    const refused = () => Promise.reject(new Error('HTTP 403'));
    await expect(breaker.run(silence)).rejects.toThrow();
    await expect(breaker.run(refused)).rejects.toThrow('HTTP 403');
    await expect(breaker.run(silence)).rejects.toThrow();
    await expect(breaker.run(answer)).resolves.toBe('ok');
  });

  it('lets one probe through after the cool-down, the others fail fast until it answers, and it closes', async () => {
    const breaker = new CircuitBreaker('SageMaker', {
      failures: 1,
      coolDownMs: 10,
    });
    await expect(breaker.run(silence)).rejects.toThrow();
    await new Promise(r => setTimeout(r, 20));
    let answerProbe: (v: string) => void = () => {};
    const probe = breaker.run(
      () => new Promise<string>(r => (answerProbe = r)),
    );
    await expect(breaker.run(answer)).rejects.toThrow(/did not answer/);
    answerProbe('ok');
    await expect(probe).resolves.toBe('ok');
    await expect(breaker.run(answer)).resolves.toBe('ok');
  });
});
