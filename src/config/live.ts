/**
 * Every default and range of `rovlens live` in one schema, shared by the CLI flags (src/commands/live.ts),
 * the pipeline (pipelines/live.ts) and the docs (docs/live-protocol.md lists the server limits).
 */
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { deviceSchema, hwaccelSchema } from './hardware.js';
import { overlayMaskSchema, saveOverlayMaskSchema } from './overlay.js';

export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'] as const;

/** An IPv4 literal in 127.0.0.0/8: four decimal octets, the first 127 (`127.0.0.1.evil.example` is a DNS name). */
const LOOPBACK_IPV4 = /^127(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Literal loopback names only: `localhost`, `::1` (bracketed or not) and IPv4 literals in 127.0.0.0/8. */
export const isLoopbackHost = (host: string): boolean =>
  (LOOPBACK_HOSTS as readonly string[]).includes(host.toLowerCase()) || host === '[::1]' || LOOPBACK_IPV4.test(host);

/** The WebSocket/HTTP server: safe by default (loopback only), bounded per client. */
export const liveServerSchema = z
  .object({
    /** Address to bind. Anything but loopback requires `token`. */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port for the viewer page and the WebSocket (0: any free port, printed at start). */
    port: z.number().int().min(0).max(65_535).default(8620),
    /** Shared secret, checked on the WebSocket upgrade (`?token=` or `Authorization: Bearer`). */
    token: z.string().min(8, 'a token needs at least 8 characters').max(256).optional(),
    /**
     * Origins (scheme://host:port) allowed to open the WebSocket besides the page's own. Requests
     * without an Origin header (non-browser clients) are allowed; the token still applies.
     */
    allowOrigins: z.array(z.string().url()).default([]),
    maxClients: z.number().int().min(1).max(1000).default(64),
    /**
     * Bytes a client may have queued and unsent before frames to it are skipped. Status messages
     * still go through up to 4x this; beyond that the client is disconnected.
     */
    maxBufferedBytes: z
      .number()
      .int()
      .min(16_384)
      .max(256 << 20)
      .default(2 << 20),
    /** Largest message a client may send; larger ones close its connection (1009). */
    maxPayloadBytes: z
      .number()
      .int()
      .min(256)
      .max(1 << 20)
      .default(4096),
    /** Seconds between pings; a client that has not answered the previous ping is dropped. */
    heartbeatSeconds: z.number().min(0.05).max(600).default(15),
  })
  .strict();
export type LiveServerOptions = z.infer<typeof liveServerSchema>;

/** The live source: reconnect with exponential backoff, stall detection by a frame timeout. */
export const liveSourceSchema = z
  .object({
    /** Play a file at its own frame rate (ffmpeg -re), so it behaves like a camera. */
    realtime: z.boolean().default(false),
    /** Seconds to wait for the first frame after (re)connecting before giving up on that attempt. */
    connectTimeoutSeconds: z.number().min(0.5).max(600).default(15),
    /** Seconds without a frame after which the source counts as stalled and is reconnected. */
    stallTimeoutSeconds: z.number().min(0.2).max(600).default(5),
    /** First reconnect delay; each failed attempt doubles it up to `reconnectMaxSeconds`. */
    reconnectInitialSeconds: z.number().min(0.05).max(60).default(0.5),
    reconnectMaxSeconds: z.number().min(0.05).max(600).default(10),
    /** Failed reconnects in a row before giving up (exit code 8); omitted: retry for ever. */
    maxRetries: z.number().int().min(0).max(1_000_000).optional(),
    /** RTSP over TCP (robust through NAT and loss) or UDP (lowest latency). */
    rtspTransport: z.enum(['tcp', 'udp']).default('tcp'),
    /** Extra ffmpeg input options, e.g. ['-f', 'v4l2', '-input_format', 'mjpeg']. */
    inputOptions: z.array(z.string()).default([]),
  })
  .strict();
export type LiveSourceOptions = z.infer<typeof liveSourceSchema>;

export const livePipelineSchema = z
  .object({
    model: z.string().min(1).default('models/rovlens-default.onnx'),
    device: deviceSchema,
    hwaccel: hwaccelSchema,
    /** Write the same timeline CSV as `rovlens timeline` while live. */
    record: z.string().min(1).optional(),
    /** Send each processed frame as JPEG; off: results only (the page shows labels and the timeline). */
    sendFrames: z.boolean().default(true),
    /**
     * Who draws the heatmap, boxes and labels: 'page' sends the plain frame plus the CAM grid and
     * boxes for the viewer to draw (cheapest for the server); 'server' sends frames already rendered
     * by the annotate renderer (src/explain/render.ts), for clients that only show pictures.
     */
    overlay: z.enum(['page', 'server']).default('page'),
    /**
     * Width of the picture viewers see, in pixels: the whole source frame scaled down to fit (aspect
     * kept, never scaled up), with the model's crop outlined and the heatmap and boxes drawn over it.
     * The model still gets its own crop at its own input size, cut from this picture.
     */
    displayWidth: z.number().int().min(160).max(3840).default(960),
    /**
     * Burned-in text and graphics: 'auto' re-estimates the mask over the latest frames as the feed
     * runs (frames pass unmasked until the first window has filled), 'off', or a mask picture.
     */
    overlayMask: overlayMaskSchema,
    /** Write the last overlay mask when the feed ends (a PNG at the source size). */
    saveOverlayMask: saveOverlayMaskSchema,
    /**
     * Element heatmaps: true shows them, false leaves them out; unset, they are shown unless the
     * model card says they point no better than the picture's centre.
     */
    heatmap: z.boolean().optional(),
    /** JPEG quality of the frames sent to viewers. */
    jpegQuality: z.number().int().min(1).max(100).default(80),
    /** Seconds between `stats` messages (and the stderr status line). */
    statsIntervalSeconds: z.number().min(0.1).max(3600).default(1),
    /** Minutes of results the page's timeline strip shows (sent to late joiners too). */
    historyMinutes: z.number().min(0.1).max(120).default(5),
    /**
     * Listen for NMEA 0183 sentences (GGA, RMC, GLL, HDT, HDG) on this UDP address: each result carries
     * the newest position and heading, the record gets their columns, the page shows them.
     */
    navUdp: z
      .object({ host: z.string().min(1).default('0.0.0.0'), port: z.number().int().min(0).max(65_535) })
      .strict()
      .optional(),
    /** Seconds after which a navigation value is too old to show (a lost feed shows as none). */
    navMaxAgeSeconds: z.number().gt(0).max(3600).default(5),
    /** Stop after this many seconds (benchmarks, tests); omitted: run until the source ends or Ctrl-C. */
    durationSeconds: z
      .number()
      .gt(0)
      .max(7 * 86_400)
      .optional(),
  })
  .strict();
export type LivePipelineOptions = z.infer<typeof livePipelineSchema>;

export const liveSchema = z
  .object({
    server: liveServerSchema.default(() => liveServerSchema.parse({})),
    source: liveSourceSchema.default(() => liveSourceSchema.parse({})),
    pipeline: livePipelineSchema.default(() => livePipelineSchema.parse({})),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (!isLoopbackHost(options.server.host) && !options.server.token) {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'token'],
        message: `binding ${options.server.host} exposes the feed beyond this machine: pass --token <secret> (8+ characters), or bind 127.0.0.1`,
      });
    }
    if (options.source.reconnectMaxSeconds < options.source.reconnectInitialSeconds) {
      ctx.addIssue({ code: 'custom', path: ['source', 'reconnectMaxSeconds'], message: 'must be at least reconnectInitialSeconds' });
    }
  });
export type LiveOptions = z.infer<typeof liveSchema>;
export type LiveOptionsInput = z.input<typeof liveSchema>;

/** Validates options; the error names the field and says what to do. */
export function parseLiveOptions(input: LiveOptionsInput): LiveOptions {
  const parsed = liveSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // Cross-field rules already say which flag to use; field errors name the field.
    throw new UsageError(issue.code === 'custom' ? issue.message : `${issue.path.join('.') || 'options'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The `rovlens live` flags: the fields above under their flag names (the CLI and the README's option
 * table kebab-case them), so the flags, their defaults and ranges, and the docs come from one place.
 */
export const liveFlagsSchema = z
  .object({
    model: z.string().min(1).optional().describe('model (.onnx with its card beside it); default: the bundled model'),
    device: livePipelineSchema.shape.device,
    hwaccel: livePipelineSchema.shape.hwaccel,
    realtime: liveSourceSchema.shape.realtime.describe('play a file at its own frame rate, like a camera'),
    record: livePipelineSchema.shape.record.describe('also write the timeline CSV of `rovlens timeline` while live'),
    host: liveServerSchema.shape.host.describe('address to bind; anything but loopback needs a token'),
    port: liveServerSchema.shape.port.describe('port of the viewer page and the WebSocket (0: any free port)'),
    token: liveServerSchema.shape.token.describe('secret viewers must present (page: `?token=`); also read from ROVLENS_LIVE_TOKEN'),
    allowOrigin: liveServerSchema.shape.allowOrigins.describe("extra browser origins allowed to connect (the page's own always is)"),
    maxClients: liveServerSchema.shape.maxClients.describe('most viewers at once (more get 503)'),
    overlay: livePipelineSchema.shape.overlay.describe('who draws heatmap, boxes and labels: the page, or the server (annotate renderer)'),
    frames: livePipelineSchema.shape.sendFrames.describe('send each processed frame as JPEG (off: results only)'),
    displayWidth: livePipelineSchema.shape.displayWidth.describe(
      'width of the whole-frame picture viewers see, in pixels (scaled down only, aspect kept)',
    ),
    jpegQuality: livePipelineSchema.shape.jpegQuality.describe('quality of the pictures sent, 1..100'),
    overlayMask: livePipelineSchema.shape.overlayMask.describe(
      'burned-in text and graphics: auto = found from the feed (re-estimated as it runs) and filled before inference; off; or a mask picture (white = overlay)',
    ),
    heatmap: livePipelineSchema.shape.heatmap.describe(
      "show the element heatmap even where the model card says it points no better than the picture's centre (off there by default)",
    ),
    saveOverlayMask: livePipelineSchema.shape.saveOverlayMask.describe('when the feed ends, write the last overlay mask (PNG at the source size, white = masked)'),
    stallTimeout: liveSourceSchema.shape.stallTimeoutSeconds.describe(
      'seconds without a frame before the source counts as stalled and is reconnected',
    ),
    connectTimeout: liveSourceSchema.shape.connectTimeoutSeconds.describe('seconds to wait for the first frame of each attempt'),
    reconnectMax: liveSourceSchema.shape.reconnectMaxSeconds.describe('longest wait between reconnects (the wait doubles from 0.5 s)'),
    maxRetries: liveSourceSchema.shape.maxRetries.describe('failed reconnects in a row before giving up (exit 8); default: never give up'),
    rtspTransport: liveSourceSchema.shape.rtspTransport.describe('RTSP over tcp or udp'),
    inputOptions: z.string().optional().describe("extra ffmpeg input options, e.g. '-input_format mjpeg -video_size 1280x720'"),
    historyMinutes: livePipelineSchema.shape.historyMinutes.describe("minutes of results the page's timeline strip shows"),
    navUdp: z
      .string()
      .regex(/^(?:(.+):)?(\d{1,5})$/, 'give a UDP port, or host:port, e.g. 10110 or 0.0.0.0:10110')
      .refine((s) => Number(/(\d+)$/.exec(s)?.[1] ?? 0) <= 65_535, 'the port must be 0..65535')
      .optional()
      .describe(
        'listen for NMEA 0183 (GGA, RMC, GLL, HDT, HDG) on this UDP port (all interfaces) or host:port: position and heading with each frame',
      ),
    navMaxAge: livePipelineSchema.shape.navMaxAgeSeconds.describe('seconds after which a position or heading is too old to show'),
    duration: livePipelineSchema.shape.durationSeconds.describe('stop after this many seconds (default: until the source ends or Ctrl-C)'),
  })
  .strict();
export type LiveFlags = z.infer<typeof liveFlagsSchema>;
