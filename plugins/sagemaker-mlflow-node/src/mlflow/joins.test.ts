import { indexedMetricsOf } from './joins';

describe('indexedMetricsOf', () => {
  it("indexes the key metrics first, then a model's own (rmse of a regression model), rounded", () => {
    expect(indexedMetricsOf({ rmse: 1.234567, accuracy: 0.98765 })).toEqual({
      accuracy: 0.9877,
      rmse: 1.2346,
    });
    expect(Object.keys(indexedMetricsOf({ rmse: 1, mae: 2 }))).toEqual([
      'mae',
      'rmse',
    ]);
  });

  it('indexes at most 20 metrics of a run that logs many, never dropping a key metric', () => {
    const many = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [
        `m${String(i).padStart(2, '0')}`,
        i,
      ]),
    );
    const indexed = indexedMetricsOf({ ...many, f1: 0.5 });
    expect(Object.keys(indexed)).toHaveLength(20);
    expect(indexed.f1).toBe(0.5);
  });
});
