/**
 * A navigation log opened for a run and matched to each video of it: the video's time 0 on the log's
 * clock (--video-start, else the file's creation_time, plus --nav-offset), checked against the log's span.
 */
import type { NavOptions } from '../config/nav.js';
import { UsageError } from '../errors.js';
import type { JoinNavOptions } from '../operators/join-nav.js';
import type { VideoInfo } from '../sources/probe.js';
import { readNavLog, type NavLog } from '../telemetry/nav-log.js';
import { formatInstant, parseInstant } from '../timecode.js';
import { isSubtitleNav, readSubtitleNav } from '../telemetry/subtitle-nav.js';

export class NavJoin {
  /** A log and a video start on different kinds of clock (zoned or not) is said once per run. */
  private toldClock = false;
  /** The one video that telemetry subtitles belong to, once joined. */
  private subtitleVideo: string | undefined;

  private constructor(
    readonly log: NavLog,
    private readonly options: NavOptions,
    private readonly notice: (line: string) => void,
  ) {}

  /** The run's log, read and checked up front; undefined without --nav. */
  static open(options: NavOptions, notice = (line: string) => process.stderr.write(`${line}\n`)): NavJoin | undefined {
    if (options.nav === undefined) return undefined;
    const log = isSubtitleNav(options.nav)
      ? readSubtitleNav(options.nav, { fields: options.navFields, videoStart: options.videoStart })
      : readNavLog(options.nav, { time: options.navTime, fields: options.navFields, dateOrder: options.navDateOrder });
    return new NavJoin(log, options, notice);
  }

  /** The log's columns that are joined, in order. */
  get fields(): string[] {
    return this.log.fields.map((f) => f.name);
  }

  /** The joined latitude and longitude columns (the first named like lat / lon), if the log has both. */
  get position(): { latitude: string; longitude: string } | undefined {
    const latitude = this.fields.find((f) => /^lat/i.test(f));
    const longitude = this.fields.find((f) => /^(lon|lng)/i.test(f));
    return latitude && longitude ? { latitude, longitude } : undefined;
  }

  /**
   * The join for one video. A video whose span misses the log entirely is refused (a wrong clock,
   * most likely); one without a creation_time needs --video-start.
   */
  forVideo(info: VideoInfo): JoinNavOptions & { log: NavLog } {
    const log = this.log;
    // Telemetry subtitles are timed from the video's first frame: their start is the video's.
    if (log.videoStart) {
      this.subtitleVideo ??= info.input;
      if (this.subtitleVideo !== info.input) {
        throw new UsageError(`${log.path} is the telemetry of one video (${this.subtitleVideo}): run ${info.input} with its own subtitles`);
      }
      return { log, videoStart: { ...log.videoStart, ms: log.videoStart.ms + this.options.navOffset * 1000 }, maxGapSeconds: this.options.navMaxGap };
    }
    const fromFile = this.options.videoStart === undefined;
    const given = this.options.videoStart ?? (info.creationTime ? parseInstant(info.creationTime) : undefined);
    if (!given) {
      const why = info.creationTime ? `a creation_time that is not a date (${info.creationTime})` : 'no creation_time';
      throw new UsageError(
        `${info.input} has ${why}: give --video-start, its first frame on the navigation log's clock (one video per run)`,
      );
    }
    const start = { ...given, ms: given.ms + this.options.navOffset * 1000 };
    if (start.zoned !== log.zoned && !this.toldClock) {
      this.toldClock = true;
      const naive = !log.zoned ? `${log.path}'s times have` : fromFile ? `${info.input}'s creation_time has` : '--video-start has';
      this.notice(`rovlens: ${naive} no time zone: read as UTC (give both on the same clock if that is wrong)`);
    }
    const end = start.ms + (info.durationSeconds ?? 0) * 1000;
    if (end < log.startMs || start.ms > log.endMs) {
      const zoned = start.zoned && log.zoned;
      const span = (a: number, b: number) => `${formatInstant(a, zoned)} .. ${formatInstant(b, zoned)}`;
      throw new UsageError(
        `${info.input} (${span(start.ms, end)}) and ${log.path} (${span(log.startMs, log.endMs)}) do not overlap: check --video-start or the log's clock`,
      );
    }
    return { log, videoStart: start, maxGapSeconds: this.options.navMaxGap };
  }
}
