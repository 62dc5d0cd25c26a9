/**
 * Backpressure across an RxJS pipeline, which has none of its own: the source counts frames it has
 * emitted and pauses decoding when `limit` are in flight; the end of the pipeline calls `done()` for
 * each frame it has finished with. Without it, decoding at 30 frames/s in front of inference at 8
 * frames/s would queue frames in memory without bound.
 */
export class FlowControl {
  private inFlight = 0;
  private extra = 0;
  private readonly drainListeners: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get full(): boolean {
    return this.inFlight >= this.limit + this.extra;
  }

  /**
   * Lets `frames` more be in flight until `until` settles: frames held back for something that is
   * being made meanwhile (a recording's overlay mask) need not stop the decoder.
   */
  allowMore(frames: number, until: Promise<unknown>): void {
    const wasFull = this.full;
    this.extra += frames;
    if (wasFull && !this.full) for (const listener of this.drainListeners) listener();
    const end = () => {
      this.extra -= frames;
    };
    until.then(end, end);
  }

  get pending(): number {
    return this.inFlight;
  }

  add(): void {
    this.inFlight++;
  }

  done(count = 1): void {
    const wasFull = this.full;
    this.inFlight = Math.max(0, this.inFlight - count);
    if (wasFull && !this.full) for (const listener of this.drainListeners) listener();
  }

  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }
}
