/**
 * The run header of a timeline run: probes each input (ffprobe, no decoding) and records what an
 * export or a report needs later, so the run file describes itself.
 */
import type { TimelineOptions } from '../config/timeline.js';
import type { ModelCard } from '../model/card.js';
import { probeVideo, type VideoInfo } from '../sources/probe.js';
import { buildRunHeader, describeRunInput, type RunHeader, type RunInput } from '../exports/run-file.js';
import { formatInstant } from '../timecode.js';
import type { NavJoin } from './nav-join.js';

export async function timelineRunHeader(
  inputs: readonly string[],
  options: TimelineOptions,
  card: ModelCard,
  nav: NavJoin | undefined,
  argv: readonly string[] = process.argv.slice(2),
): Promise<RunHeader> {
  const described: RunInput[] = [];
  for (const input of inputs) {
    let info: VideoInfo;
    try {
      info = await probeVideo(input, { keyframes: false });
    } catch {
      continue; // the run itself reports an input it cannot read, in its own words
    }
    described.push(describeRunInput(input, info, navStart(nav, info)));
  }
  const position = nav?.position;
  return buildRunHeader({
    argv,
    inputs: described,
    card,
    crop: options.crop ?? card.crop,
    sampling: { everySeconds: options.every, keyframesOnly: options.keyframes, startSeconds: options.start, endSeconds: options.end },
    nav: nav ? { log: options.nav!, fields: nav.fields, latitude: position?.latitude, longitude: position?.longitude } : undefined,
  });
}

function navStart(nav: NavJoin | undefined, info: VideoInfo): string | undefined {
  if (!nav) return undefined;
  try {
    const { videoStart } = nav.forVideo(info);
    return formatInstant(videoStart.ms, videoStart.zoned && nav.log.zoned);
  } catch {
    return undefined; // the run refuses this video with the reason
  }
}
