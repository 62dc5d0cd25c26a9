import { map, type MonoTypeOperatorFunction } from 'rxjs';
import type { NavLog } from '../telemetry/nav-log.js';
import { formatInstant, type Instant } from '../timecode.js';
import type { FrameResult } from '../types.js';

export interface JoinNavOptions {
  /** The instant of the video's time 0 (its first frame at pts 0), on the log's clock. */
  videoStart: Instant;
  /** Records further apart than this are a gap: frames in it get no values. Default 10 s. */
  maxGapSeconds?: number;
}

/**
 * Adds `nav` to each result: the frame's instant (video start + its presentation time) and the log's
 * values there, each field interpolated between its own records around it. A field outside its records
 * or in a gap of them is left out; frames keep their instant, so a timeline still says when they were taken.
 */
export function joinNav(log: NavLog, options: JoinNavOptions): MonoTypeOperatorFunction<FrameResult> {
  const maxGapMs = (options.maxGapSeconds ?? 10) * 1000;
  const zoned = log.zoned && options.videoStart.zoned;
  return map((result) => {
    const ms = options.videoStart.ms + result.frame.ptsSeconds * 1000;
    const values: Record<string, number> = {};
    log.at(ms, maxGapMs).forEach((v, i) => {
      if (Number.isFinite(v)) values[log.fields[i]!.name] = v;
    });
    return { ...result, nav: { time: formatInstant(ms, zoned), values } };
  });
}
