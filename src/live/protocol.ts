/**
 * The live WebSocket protocol, version 2 (documented for people in docs/live-protocol.md).
 *
 * Version 2: the picture is the whole source frame scaled to the display width, no longer the
 * model's crop. `imageRegion` says which source pixels it shows; `region` stays the model's crop,
 * which the CAM covers and the page outlines. A v1 client would draw v2 boxes in the wrong place,
 * hence the new version.
 *
 * Server -> client: JSON text messages (`hello`, `history`, `status`, `result`, `stats`), each with
 * `v` (protocol version) and `type`; and binary messages carrying one frame's JPEG, prefixed by the
 * `seq` of the `result` it belongs to (uint32, big-endian), so a page can pair them even when a slow
 * client was sent the result but not its image.
 * Client -> server: JSON `{ "type": "set", "frames": boolean }` only; anything else is ignored.
 */
import { z } from 'zod';
import type { SourceState } from '../sources/live.js';
import type { FrameResult, Rect, Size } from '../types.js';

export const PROTOCOL_VERSION = 2;
/** The WebSocket path on the server; the viewer page is served from `/`. */
export const WS_PATH = '/ws';
export const FRAME_HEADER_BYTES = 4;

/** The live source's states, as the protocol carries them. */
export type { SourceState };

export interface HelloMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'hello';
  /** The source with any password in its URL replaced by '***'. */
  source: string;
  model: { name: string; heads: Record<string, readonly string[]> };
  historyMinutes: number;
  /** Whether the server sends JPEG frames at all (`--no-frames` turns them off). */
  frames: boolean;
  /**
   * Whether results carry the element heatmap, and the model card's verdict on it when it points
   * no better than the centre ('unreliable: 37.5 % vs centre 60.0 %').
   */
  heatmap?: { shown: boolean; note?: string };
}

export interface StatusMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'status';
  state: SourceState;
  /** Reconnect attempt (1-based) when reconnecting; 0 otherwise. */
  attempt: number;
  /** Seconds until the next attempt, when reconnecting. */
  retryInSeconds?: number;
  /** Why: the last error line, in words. */
  message?: string;
  atMs: number;
}

export interface HeadSummary {
  label: string;
  confidence: number;
  uncertain: boolean;
  /** In the order of `hello.model.heads[name]`. */
  probabilities: number[];
}

export interface ResultMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'result';
  /** Increases by one per processed frame; binary frames carry it in their first 4 bytes. */
  seq: number;
  frameIndex: number;
  /** Presentation time from the stream. */
  ptsSeconds: number;
  /** Wall clock (ms since epoch) when the frame left the decoder. */
  decodedAtMs: number;
  /** Wall clock when this message was handed to the sockets. */
  sentAtMs: number;
  /** sentAtMs - decodedAtMs: decode to send. */
  latencyMs: number;
  heads: Record<string, HeadSummary>;
  /** Size of the source picture, in source pixels. */
  sourceSize: Size;
  /** The part of the source the model saw (its relative centre crop): the CAM covers it; pages outline it. */
  region: Rect;
  /** The part of the source the picture shows (the whole source), stretched over the picture's width x height. */
  imageRegion: Rect;
  /** The element head's CAM for its top class, ReLU'd and scaled to 0..1, row-major, rounded to 1/100; covers `region`. */
  cam?: { head: string; classIndex: number; width: number; height: number; data: number[] };
  /** From the Grad-CAM stage, in source pixels. */
  localisation?: { boxes: Rect[]; peak: { x: number; y: number }; areaFraction: number; method: string };
  groupId?: number;
  /** With a navigation feed: the frame's instant (ISO 8601, UTC) and the newest values (latitude, longitude, heading_deg, altitude_m). */
  nav?: { time: string; values: Record<string, number> };
  /** Size of the JPEG that follows for this `seq` (when frames are on and the client is not behind). */
  image?: Size;
  /** True when that JPEG already shows the heatmap, boxes and labels (`--overlay server`). */
  annotated?: boolean;
}

export interface StatsMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'stats';
  /** Frames per second arriving from the source, over the last interval. */
  inputFps: number;
  /** Frames per second processed and sent, over the last interval. */
  processedFps: number;
  /** Frames dropped since the start because a newer one arrived while the model was busy. */
  droppedFrames: number;
  /** droppedFrames / frames received since the start. */
  droppedFraction: number;
  /** Decode-to-send latency over the last interval, ms (null before the first result). */
  latencyMs: { p50: number | null; p95: number | null };
  clients: number;
  /** Results this client was not sent because it was behind (its own count). */
  skippedForYou: number;
}

/** Compact past results, so a page that joins late can draw its timeline strip. */
export interface HistoryMessage {
  v: typeof PROTOCOL_VERSION;
  type: 'history';
  entries: HistoryEntry[];
}
export interface HistoryEntry {
  decodedAtMs: number;
  ptsSeconds: number;
  /** Top label per head. */
  labels: Record<string, string>;
}

export type ServerMessage = HelloMessage | StatusMessage | ResultMessage | StatsMessage | HistoryMessage;

export const clientMessageSchema = z.object({ type: z.literal('set'), frames: z.boolean() }).strict();
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** A client's text message, or undefined when it is malformed (malformed messages are ignored). */
export function parseClientMessage(text: string): ClientMessage | undefined {
  try {
    const parsed = clientMessageSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A binary frame message: seq (uint32 BE) then the JPEG bytes. */
export function encodeFrame(seq: number, jpeg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + jpeg.length);
  out.writeUInt32BE(seq >>> 0, 0);
  out.set(jpeg, FRAME_HEADER_BYTES);
  return out;
}

export function decodeFrame(message: Uint8Array): { seq: number; jpeg: Uint8Array } {
  if (message.length < FRAME_HEADER_BYTES)
    throw new Error(`a frame message needs at least ${FRAME_HEADER_BYTES} bytes, got ${message.length}`);
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  return { seq: view.getUint32(0, false), jpeg: message.subarray(FRAME_HEADER_BYTES) };
}

/** Hides a password in a URL (rtsp://user:secret@cam/ -> rtsp://user:***@cam/) before it is shown or sent. */
export function redactSource(source: string): string {
  return source.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, '$1:***@');
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
// Regions cut from a scaled display frame land on fractional source pixels; 1/100 pixel is plenty.
const roundRect = (r: Rect): Rect => ({ x: round(r.x, 2), y: round(r.y, 2), width: round(r.width, 2), height: round(r.height, 2) });

/**
 * The CAM the page draws: the element head's map for its top class (the first head with a CAM when
 * there is no element head), ReLU'd and scaled to 0..1 like Grad-CAM.
 */
export function camSummary(result: FrameResult, preferHead = 'element'): ResultMessage['cam'] {
  const cams = result.cams;
  if (!cams) return undefined;
  const head = cams[preferHead] ? preferHead : Object.keys(cams)[0];
  if (!head) return undefined;
  const maps = cams[head]!;
  const classIndex = result.heads[head]?.topIndex ?? 0;
  const size = maps.width * maps.height;
  const map = maps.data.subarray(classIndex * size, (classIndex + 1) * size);
  let max = 0;
  for (let i = 0; i < size; i++) max = Math.max(max, map[i]!);
  const data = Array.from(map, (x) => (max > 0 ? round(Math.max(0, x) / max, 2) : 0));
  return { head, classIndex, width: maps.width, height: maps.height, data };
}

/**
 * The `result` message for a processed frame. `imageRegion` is the source rect the picture shows
 * (the display frame's region); it defaults to the model frame's region, for pictures of the crop.
 */
export function resultMessage(
  result: FrameResult,
  seq: number,
  sentAtMs: number,
  image?: Size,
  annotated = false,
  imageRegion?: Rect,
): ResultMessage {
  const { frame } = result;
  const decodedAtMs = frame.decodedAtMs ?? sentAtMs;
  const heads: Record<string, HeadSummary> = {};
  for (const [name, p] of Object.entries(result.heads)) {
    heads[name] = {
      label: p.label,
      confidence: round(p.confidence, 4),
      uncertain: p.uncertain,
      probabilities: Array.from(p.probabilities, (x) => round(x, 4)),
    };
  }
  const message: ResultMessage = {
    v: PROTOCOL_VERSION,
    type: 'result',
    seq,
    frameIndex: frame.index,
    ptsSeconds: round(frame.ptsSeconds, 3),
    decodedAtMs,
    sentAtMs,
    latencyMs: sentAtMs - decodedAtMs,
    heads,
    sourceSize: frame.sourceSize,
    region: roundRect(frame.region),
    imageRegion: roundRect(imageRegion ?? frame.region),
  };
  const cam = camSummary(result);
  if (cam) message.cam = cam;
  const l = result.localisation;
  if (l)
    message.localisation = {
      boxes: l.boxes,
      peak: { x: round(l.peak.x, 1), y: round(l.peak.y, 1) },
      areaFraction: round(l.areaFraction, 4),
      method: l.method,
    };
  if (result.group) message.groupId = result.group.groupId;
  if (result.nav) message.nav = result.nav;
  if (image) message.image = image;
  if (image && annotated) message.annotated = true;
  return message;
}
