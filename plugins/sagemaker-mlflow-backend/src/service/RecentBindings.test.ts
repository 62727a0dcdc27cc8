import { RecentBindings } from './RecentBindings';

describe('RecentBindings', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1000;
  });

  it('counts a confirmation within the window and forgets it after', () => {
    const recent = new RecentBindings(30_000, clock);
    expect(recent.has('a')).toBe(false);
    recent.confirm('a');
    now += 29_999;
    expect(recent.has('a')).toBe(true);
    expect(recent.has('b')).toBe(false);
    now += 1;
    expect(recent.has('a')).toBe(false);
  });

  it('a new confirmation restarts the window', () => {
    const recent = new RecentBindings(1000, clock);
    recent.confirm('a');
    now += 900;
    recent.confirm('a');
    now += 900;
    expect(recent.has('a')).toBe(true);
  });

  it('remembers nothing with a window of 0', () => {
    const recent = new RecentBindings(0, clock);
    recent.confirm('a');
    expect(recent.has('a')).toBe(false);
  });

  it('keeps at most 10,000 confirmations, dropping the oldest', () => {
    const recent = new RecentBindings(60_000, clock);
    for (let i = 0; i <= 10_000; i++) recent.confirm(`k${i}`);
    expect(recent.has('k0')).toBe(false);
    expect(recent.has('k1')).toBe(true);
    expect(recent.has('k10000')).toBe(true);
  });
});
