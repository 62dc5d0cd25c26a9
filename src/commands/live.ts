/**
 * `rovlens live <source>`: a live feed annotated as it arrives, streamed over WebSocket to a viewer
 * page on the same port. Thin: parse and validate options (src/config/live.ts), call runLive, report.
 */
import { Option, type Command } from 'commander';
import { liveFlagsSchema, liveOptionsFromFlags } from '../config/live.js';
import { DEVICES } from '../model/execution-providers.js';
import { HWACCELS } from '../sources/hwaccel.js';
import { DEFAULT_MODEL } from '../paths.js';
import { runLive } from '../live/run.js';
import { numberOption, runAction } from './action.js';

type Flag = keyof typeof liveFlagsSchema.shape;
const describe = (key: Flag) => liveFlagsSchema.shape[key].description ?? '';
const defaults = liveFlagsSchema.parse({});
const numeric = (key: Flag, flag: string, range: Parameters<typeof numberOption>[1]) =>
  new Option(flag, describe(key)).argParser(numberOption(flag.split(' ')[0]!, range));

export function register(program: Command): void {
  program
    .command('live')
    .description('annotate a live feed as it arrives and stream it to a viewer page over WebSocket')
    .argument('<source>', 'rtsp://, udp://, rtp://, http(s)://, srt:// URL, a capture device (/dev/video0), - for stdin, or a file')
    .option('--model <path>', describe('model'))
    .addOption(new Option('--device <device>', describe('device')).choices(DEVICES).default(defaults.device))
    .addOption(new Option('--hwaccel <method>', describe('hwaccel')).choices(HWACCELS).default(defaults.hwaccel))
    .option('--realtime', describe('realtime'))
    .option('--record <file.csv>', describe('record'))
    .option('--host <address>', describe('host'), defaults.host)
    .addOption(numeric('port', '--port <n>', { min: 0, max: 65_535, integer: true }).default(defaults.port))
    .option('--token <secret>', describe('token'))
    .option('--allow-origin <url...>', describe('allowOrigin'), defaults.allowOrigin)
    .addOption(numeric('maxClients', '--max-clients <n>', { min: 1, max: 1000, integer: true }).default(defaults.maxClients))
    .addOption(new Option('--overlay <who>', describe('overlay')).choices(['page', 'server']).default(defaults.overlay))
    .option('--no-frames', 'send results only, no pictures')
    .addOption(numeric('displayWidth', '--display-width <pixels>', { min: 160, max: 3840, integer: true }).default(defaults.displayWidth))
    .addOption(numeric('jpegQuality', '--jpeg-quality <q>', { min: 1, max: 100, integer: true }).default(defaults.jpegQuality))
    .addOption(numeric('stallTimeout', '--stall-timeout <seconds>', { min: 0.2, max: 600 }).default(defaults.stallTimeout))
    .addOption(numeric('connectTimeout', '--connect-timeout <seconds>', { min: 0.5, max: 600 }).default(defaults.connectTimeout))
    .addOption(numeric('reconnectMax', '--reconnect-max <seconds>', { min: 0.05, max: 600 }).default(defaults.reconnectMax))
    .addOption(numeric('maxRetries', '--max-retries <n>', { min: 0, integer: true }))
    .addOption(new Option('--rtsp-transport <t>', describe('rtspTransport')).choices(['tcp', 'udp']).default(defaults.rtspTransport))
    .option('--input-options <args>', describe('inputOptions'))
    .addOption(numeric('historyMinutes', '--history-minutes <m>', { min: 0.1, max: 120 }).default(defaults.historyMinutes))
    .option('--nav-udp <port|host:port>', describe('navUdp'))
    .addOption(numeric('navMaxAge', '--nav-max-age <seconds>', { min: 0.001, max: 3600 }).default(defaults.navMaxAge))
    .addOption(numeric('duration', '--duration <seconds>', { min: 0.001 }))
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
      runAction(async (input: string, raw: Record<string, unknown>) => {
        const token = (raw.token as string | undefined) ?? (process.env.ROVLENS_LIVE_TOKEN || undefined);
        const flags = Object.fromEntries(Object.entries({ ...raw, token }).filter(([, v]) => v !== undefined));
        const summary = await runLive(input, liveOptionsFromFlags(flags, DEFAULT_MODEL));
        return summary.exitCode;
      }),
    );
}
