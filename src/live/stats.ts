/**
 * Live counters and latency percentiles, per stats interval and since the start. Pure: no I/O and
 * no clock of its own (callers pass wall-clock milliseconds), so it is easy to test.
 */

/** Nearest-rank percentile (p in 0..100) of `values`; NaN when empty. Sorts a copy. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

export interface IntervalStats {
  inputFps: number;
  processedFps: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export interface TotalStats {
  received: number;
  processed: number;
  dropped: number;
  droppedFraction: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

/** Keeps every latency since the start in a growing typed array (8 bytes a frame: 2.9 MB a day at 5 fps). */
export class LiveStats {
  received = 0;
  processed = 0;
  dropped = 0;
  private latencies = new Float64Array(1024);
  private intervalStart = 0;
  private intervalStartMs: number;
  private receivedAtIntervalStart = 0;

  constructor(nowMs: number) {
    this.intervalStartMs = nowMs;
  }

  frameReceived(): void {
    this.received++;
  }

  frameDropped(): void {
    this.dropped++;
  }

  frameSent(latencyMs: number): void {
    if (this.processed === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.processed++] = latencyMs;
  }

  /** Rates and percentiles since the last call, then starts a new interval. */
  interval(nowMs: number): IntervalStats {
    const seconds = Math.max(1e-3, (nowMs - this.intervalStartMs) / 1000);
    const window = this.latencies.subarray(this.intervalStart, this.processed);
    const out: IntervalStats = {
      inputFps: (this.received - this.receivedAtIntervalStart) / seconds,
      processedFps: window.length / seconds,
      latencyP50Ms: window.length ? percentile(window, 50) : null,
      latencyP95Ms: window.length ? percentile(window, 95) : null,
    };
    this.intervalStart = this.processed;
    this.intervalStartMs = nowMs;
    this.receivedAtIntervalStart = this.received;
    return out;
  }

  totals(): TotalStats {
    const all = this.latencies.subarray(0, this.processed);
    return {
      received: this.received,
      processed: this.processed,
      dropped: this.dropped,
      droppedFraction: this.received ? this.dropped / this.received : 0,
      latencyP50Ms: all.length ? percentile(all, 50) : null,
      latencyP95Ms: all.length ? percentile(all, 95) : null,
    };
  }
}
