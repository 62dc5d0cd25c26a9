/** A progress bar with ETA on a TTY (stderr); silent when piped or --quiet. */
import cliProgress from 'cli-progress';
import { basename } from 'node:path';

export class Progress {
  private bar: cliProgress.SingleBar | undefined;
  private readonly startedMs = Date.now();

  constructor(label: string, quiet: boolean, stream: NodeJS.WriteStream = process.stderr) {
    if (quiet || !stream.isTTY) return;
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${basename(label).slice(0, 28)} |{bar}| {percentage}% | {value}/{total} s | {frames} frames, {fps} fr/s | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  /** `totalSeconds` of video to go through; unknown for live streams. */
  start(totalSeconds: number | undefined): void {
    this.bar?.start(Math.max(1, Math.round(totalSeconds ?? 0)), 0, { frames: 0, fps: '0.0' });
  }

  update(seconds: number, frames: number): void {
    const elapsed = (Date.now() - this.startedMs) / 1000;
    this.bar?.update(Math.max(0, Math.round(seconds)), { frames, fps: (frames / Math.max(elapsed, 1e-3)).toFixed(1) });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
