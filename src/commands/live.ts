/**
 * `rovlens live <source>`: a live feed annotated as it arrives, streamed over WebSocket to a viewer
 * page on the same port. Thin: flags from the schema (src/config/live.ts), then the live runner.
 */
import type { Command } from 'commander';
import { liveFlagsSchema, parseLiveOptions, type LiveOptions } from '../config/live.js';
import { parseFlags } from '../config/flags.js';
import { modelOrBundled } from '../model/bundled.js';
import { runAction } from './action.js';
import { addSchemaOptions, givenFlags, type FlagTable } from './options.js';

/** Each option's flag; its help, default, choices and check come from liveFlagsSchema. */
const FLAGS: FlagTable<typeof liveFlagsSchema> = {
  model: '--model <path>',
  device: '--device <device>',
  hwaccel: '--hwaccel <method>',
  realtime: '--realtime',
  record: '--record <file.csv>',
  host: '--host <address>',
  port: '--port <n>',
  token: '--token <secret>',
  allowOrigin: '--allow-origin <url...>',
  maxClients: '--max-clients <n>',
  overlay: '--overlay <who>',
  frames: { flag: '--no-frames', help: 'send results only, no pictures' },
  displayWidth: '--display-width <pixels>',
  jpegQuality: '--jpeg-quality <q>',
  overlayMask: '--overlay-mask <auto|off|mask.png>',
  heatmap: '--heatmap',
  saveOverlayMask: '--save-overlay-mask <file.png>',
  stallTimeout: '--stall-timeout <seconds>',
  connectTimeout: '--connect-timeout <seconds>',
  reconnectMax: '--reconnect-max <seconds>',
  maxRetries: '--max-retries <n>',
  rtspTransport: '--rtsp-transport <t>',
  inputOptions: '--input-options <args>',
  historyMinutes: '--history-minutes <m>',
  navUdp: '--nav-udp <port|host:port>',
  navMaxAge: '--nav-max-age <seconds>',
  duration: '--duration <seconds>',
};

export function register(program: Command): void {
  const command = program
    .command('live')
    .description('annotate a live feed as it arrives and stream it to a viewer page over WebSocket')
    .argument('<source>', 'rtsp://, udp://, rtp://, http(s)://, srt:// URL, a capture device (/dev/video0), - for stdin, or a file');
  addSchemaOptions(command, liveFlagsSchema, FLAGS)
    .addHelpText(
      'after',
      `
Examples:
  rovlens live udp://127.0.0.1:5000                     # MPEG-TS over UDP; open the printed address
  rovlens live rtsp://rov.local:8554/cam --record dive.csv
  rovlens live dive.mp4 --realtime                      # a recording played like a camera
  ffmpeg -i cam.mkv -c copy -f mpegts - | rovlens live -
  rovlens live /dev/video0 --input-options '-input_format mjpeg -video_size 1280x720'
  rovlens live udp://0.0.0.0:5000 --nav-udp 10110 --record dive.csv   # with the USBL's NMEA position
  ROVLENS_LIVE_TOKEN=... rovlens live udp://0.0.0.0:5000 --host 0.0.0.0

Protocol: docs/live-protocol.md. Exit codes: 0 ok, 2 usage, 3 input missing, 4 input not video,
5 model, 6 output (port in use, --record not writable), 8 source gave up (or --nav-udp cannot listen),
130 interrupted.`,
    )
    .action(
      runAction(async (input: string, _flags: unknown, self: Command) => {
        const raw = givenFlags(self);
        const token = (raw.token as string | undefined) ?? (process.env.ROVLENS_LIVE_TOKEN || undefined);
        const flags = Object.fromEntries(Object.entries({ ...raw, token }).filter(([, v]) => v !== undefined));
        const options = liveOptionsFromFlags(flags);
        const { runLive } = await import('../runners/live.js');
        const summary = await runLive(input, options);
        return summary.exitCode;
      }),
    );
}

/** Validated flags to the options runLive takes; the error names the flag. */
export function liveOptionsFromFlags(raw: Record<string, unknown>): LiveOptions {
  const f = parseFlags(liveFlagsSchema, raw);
  return parseLiveOptions({
    server: { host: f.host, port: f.port, ...(f.token ? { token: f.token } : {}), allowOrigins: f.allowOrigin, maxClients: f.maxClients },
    source: {
      realtime: f.realtime,
      stallTimeoutSeconds: f.stallTimeout,
      connectTimeoutSeconds: f.connectTimeout,
      reconnectMaxSeconds: f.reconnectMax,
      ...(f.maxRetries !== undefined ? { maxRetries: f.maxRetries } : {}),
      rtspTransport: f.rtspTransport,
      inputOptions: f.inputOptions ? f.inputOptions.split(/\s+/).filter(Boolean) : [],
    },
    pipeline: {
      model: modelOrBundled(f.model),
      device: f.device,
      hwaccel: f.hwaccel,
      ...(f.record ? { record: f.record } : {}),
      sendFrames: f.frames,
      overlay: f.overlay,
      displayWidth: f.displayWidth,
      jpegQuality: f.jpegQuality,
      overlayMask: f.overlayMask,
      ...(f.heatmap !== undefined ? { heatmap: f.heatmap } : {}),
      ...(f.saveOverlayMask !== undefined ? { saveOverlayMask: f.saveOverlayMask } : {}),
      historyMinutes: f.historyMinutes,
      ...(f.navUdp !== undefined ? { navUdp: udpAddress(f.navUdp) } : {}),
      navMaxAgeSeconds: f.navMaxAge,
      ...(f.duration !== undefined ? { durationSeconds: f.duration } : {}),
    },
  });
}

/** '10110' -> { port: 10110 }; '127.0.0.1:10110' -> { host: '127.0.0.1', port: 10110 } (host default: all interfaces). */
function udpAddress(text: string): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(text)!;
  return { host: m[1] ?? '0.0.0.0', port: Number(m[2]) };
}
