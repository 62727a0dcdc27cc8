/** Bounds the memory one backend spends on remembered confirmations, whatever the number of entities. */
const MAX_ENTRIES = 10_000;

/**
 * Bindings read as bound within the last `windowMs`, in this process only: a confirmation is this instance's own
 * reading of the tag, so no other instance (or a shared cache outage) can extend it. Only positive readings are
 * ever added; a refusal or an unreadable tag is read again next time.
 */
export class RecentBindings {
  /** Key → when the binding was last read as bound (monotonic ms, so a wall-clock jump cannot extend it). */
  private readonly confirmedAt = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether this binding was read as bound within the window. */
  has(key: string): boolean {
    const at = this.confirmedAt.get(key);
    if (at === undefined) return false;
    if (this.now() - at < this.windowMs) return true;
    this.confirmedAt.delete(key);
    return false;
  }

  /** Records a reading of the binding as bound, now. */
  confirm(key: string): void {
    if (this.windowMs <= 0) return;
    // Re-inserted, so the map's order stays oldest first for the trim below.
    this.confirmedAt.delete(key);
    if (this.confirmedAt.size >= MAX_ENTRIES) {
      const oldest = this.confirmedAt.keys().next().value;
      if (oldest !== undefined) this.confirmedAt.delete(oldest);
    }
    this.confirmedAt.set(key, this.now());
  }
}
