import { beforeDeadline, withRequestDeadline } from './requestDeadline';

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
});
