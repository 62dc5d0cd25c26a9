/**
 * `rovlens live <source>`: a live feed annotated as it arrives, streamed over WebSocket to a viewer
 * page on the same port. Thin: parse and validate options (src/config/live.ts), call runLive, report.
 */
import { Option, type Command } from 'commander';
import { livePipelineSchema, liveServerSchema, liveSourceSchema, parseLiveOptions, type LiveOptionsInput } from '../config/live.js';
import { DEFAULT_MODEL } from '../paths.js';
import { runLive } from '../live/run.js';
import { numberOption, runAction } from './action.js';

const server = liveServerSchema.parse({});
const source = liveSourceSchema.parse({});
const pipeline = livePipelineSchema.parse({});

export function register(program: Command): void {
  program
    .command('live')
    .description('annotate a live feed as it arrives and stream it to a viewer page over WebSocket')
    .argument('<source>', 'rtsp://, udp://, rtp://, http(s)://, srt:// URL, a capture device (/dev/video0), - for stdin, or a file')
    .option('--model <path>', 'model (.onnx with its card beside it)', DEFAULT_MODEL)
    .addOption(new Option('--device <device>', 'where the model runs').choices(['cpu', 'cuda']).default(pipeline.device))
    .option('--realtime', 'play a file at its own frame rate, like a camera')
    .option('--record <file.csv>', 'also write the timeline CSV of `rovlens timeline` while live')
    .option('--host <address>', 'address to bind; anything but loopback needs --token', server.host)
    .option('--port <n>', 'port of the viewer page and the WebSocket (0: any free port)', numberOption('--port', { min: 0, max: 65_535, integer: true }), server.port)
    .option('--token <secret>', 'secret viewers must present (page: ?token=...); also read from ROVLENS_LIVE_TOKEN')
    .option('--allow-origin <url...>', 'extra browser origins allowed to connect (the page’s own always is)')
    .option('--max-clients <n>', 'most viewers at once', numberOption('--max-clients', { min: 1, max: 1000, integer: true }), server.maxClients)
    .addOption(new Option('--overlay <who>', 'who draws heatmap, boxes and labels: the page, or the server (annotate renderer)').choices(['page', 'server']).default(pipeline.overlay))
    .option('--no-frames', 'send results only, no pictures')
    .option('--jpeg-quality <q>', 'quality of the pictures sent, 1..100', numberOption('--jpeg-quality', { min: 1, max: 100, integer: true }), pipeline.jpegQuality)
    .option('--stall-timeout <seconds>', 'seconds without a frame before reconnecting', numberOption('--stall-timeout', { min: 0.2, max: 600 }), source.stallTimeoutSeconds)
    .option('--connect-timeout <seconds>', 'seconds to wait for the first frame of each attempt', numberOption('--connect-timeout', { min: 0.5, max: 600 }), source.connectTimeoutSeconds)
    .option('--reconnect-max <seconds>', 'longest wait between reconnects (backoff doubles from 0.5 s)', numberOption('--reconnect-max', { min: 0.05, max: 600 }), source.reconnectMaxSeconds)
    .option('--max-retries <n>', 'failed reconnects in a row before giving up (exit 8); default: never give up', numberOption('--max-retries', { min: 0, integer: true }))
    .addOption(new Option('--rtsp-transport <t>', 'RTSP over TCP or UDP').choices(['tcp', 'udp']).default(source.rtspTransport))
    .option('--input-options <args>', "extra ffmpeg input options, e.g. '-f v4l2 -input_format mjpeg -video_size 1280x720'")
    .option('--history-minutes <m>', 'minutes of results the page’s timeline strip shows', numberOption('--history-minutes', { min: 0.1, max: 120 }), pipeline.historyMinutes)
    .option('--duration <seconds>', 'stop after this long (default: until the source ends or Ctrl-C)', numberOption('--duration', { min: 0.001 }))
    .addHelpText(
      'after',
      `
Examples:
  rovlens live udp://127.0.0.1:5000                     # MPEG-TS over UDP; open the printed address
  rovlens live rtsp://rov.local:8554/cam --record dive.csv
  rovlens live dive.mp4 --realtime                      # a recording played like a camera
  ffmpeg -i cam.mkv -c copy -f mpegts - | rovlens live -
  rovlens live /dev/video0 --input-options '-input_format mjpeg -video_size 1280x720'
  ROVLENS_LIVE_TOKEN=... rovlens live udp://0.0.0.0:5000 --host 0.0.0.0

Protocol: docs/live-protocol.md. Exit codes: 0 ok, 2 usage, 3 input missing, 4 input not video,
5 model, 6 output (port in use, --record not writable), 8 source gave up, 130 interrupted.`,
    )
    .action(
      runAction(async (input: string, raw: Record<string, unknown>) => {
        const token = (raw.token as string | undefined) ?? process.env.ROVLENS_LIVE_TOKEN;
        const options: LiveOptionsInput = {
          server: {
            host: raw.host as string,
            port: raw.port as number,
            ...(token ? { token } : {}),
            allowOrigins: (raw.allowOrigin as string[] | undefined) ?? [],
            maxClients: raw.maxClients as number,
          },
          source: {
            realtime: Boolean(raw.realtime),
            stallTimeoutSeconds: raw.stallTimeout as number,
            connectTimeoutSeconds: raw.connectTimeout as number,
            reconnectMaxSeconds: raw.reconnectMax as number,
            ...(raw.maxRetries !== undefined ? { maxRetries: raw.maxRetries as number } : {}),
            rtspTransport: raw.rtspTransport as 'tcp' | 'udp',
            inputOptions: typeof raw.inputOptions === 'string' ? raw.inputOptions.split(/\s+/).filter(Boolean) : [],
          },
          pipeline: {
            model: raw.model as string,
            device: raw.device as 'cpu' | 'cuda',
            ...(raw.record ? { record: raw.record as string } : {}),
            sendFrames: raw.frames !== false,
            overlay: raw.overlay as 'page' | 'server',
            jpegQuality: raw.jpegQuality as number,
            historyMinutes: raw.historyMinutes as number,
            ...(raw.duration !== undefined ? { durationSeconds: raw.duration as number } : {}),
          },
        };
        const summary = await runLive(input, parseLiveOptions(options));
        return summary.exitCode;
      }),
    );
}
