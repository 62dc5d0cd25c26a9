/** `rovlens probe <input>`: what a recording is, as text or JSON. */
import type { Command } from 'commander';
import { probeVideo, type VideoInfo } from '../sources/probe.js';
import { timecode } from '../sinks/columns.js';
import { runAction } from './action.js';

export function register(program: Command): void {
  program
    .command('probe')
    .description('duration, resolution, codec, frame rate and keyframe interval of a recording')
    .argument('<input>', 'video file or stream URL')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  rovlens probe dive.mp4\n  rovlens probe dive.mp4 --json | jq .keyframeIntervalSeconds')
    .action(
      runAction(async (input: string, options: { json?: boolean }) => {
        const info = await probeVideo(input);
        process.stdout.write(options.json ? `${JSON.stringify(info, null, 2)}\n` : describeVideo(info));
      }),
    );
}

export function describeVideo(info: VideoInfo): string {
  const rows: [string, string][] = [
    ['input', info.input],
    ['container', info.container],
    ['codec', info.codec],
    ['resolution', `${info.width}x${info.height}${info.rotation ? ` (rotated ${info.rotation}°)` : ''}`],
    ['frame rate', `${info.fps.toFixed(3)} fps${info.variableFrameRate ? ' (variable)' : ''}`],
    [
      'duration',
      info.durationSeconds === undefined ? 'unknown (live)' : `${timecode(info.durationSeconds)} (${info.durationSeconds.toFixed(3)} s)`,
    ],
    ['frames', info.frameCount === undefined ? 'unknown' : String(info.frameCount)],
    ['keyframe interval', info.keyframeIntervalSeconds === undefined ? 'unknown' : `${info.keyframeIntervalSeconds.toFixed(3)} s`],
    ['bit rate', info.bitRate === undefined ? 'unknown' : `${(info.bitRate / 1e6).toFixed(2)} Mb/s`],
    ['created', info.creationTime ?? 'unknown'],
  ];
  return rows.map(([k, v]) => `${k.padEnd(18)}${v}`).join('\n') + '\n';
}
