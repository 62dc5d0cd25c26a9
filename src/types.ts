/**
 * The data that flows through every stage. Stages add fields by spreading into a new object;
 * they never mutate what an earlier stage produced.
 *
 * Coordinates: pixels, origin top-left, x to the right, y down. A `Rect` is half-open:
 * it covers x in [x, x + width) and y in [y, y + height).
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

/** One decoded picture. `pixels` is RGB, 8 bits per channel, interleaved (HWC), row-major. */
export interface Frame {
  /** The input this frame came from: a file path, a URL, a device, or an image path. */
  sourceId: string;
  /**
   * The frame's number in the stream (0-based). Exact when every frame is decoded from the start;
   * with sampling, keyframes only or a start time it is pts x average fps: exact at constant frame rate.
   */
  index: number;
  /** Presentation time from the stream's own timestamps, in seconds from the start of the input. */
  ptsSeconds: number;
  /** Size of `pixels`. */
  width: number;
  height: number;
  pixels: Uint8Array;
  /** Size of the original decoded picture, before any crop or resize. */
  sourceSize: Size;
  /**
   * The part of the original picture (in source pixels) that `pixels` shows, scaled to width x height.
   * The full picture when nothing was cropped. Maps model/CAM coordinates back to the source.
   */
  region: Rect;
  /** Wall-clock milliseconds (Date.now()) when the frame left the decoder: the start of its latency. */
  decodedAtMs?: number;
}

/** One classifier head's answer for one frame. */
export interface HeadPrediction {
  /** Labels in the model card's order; `probabilities[i]` belongs to `labels[i]`. */
  labels: readonly string[];
  /** Softmax of the logits. Always the raw probabilities, whatever the threshold says. */
  probabilities: Float32Array;
  /** Top class, or 'uncertain' when its probability is below the head's threshold. */
  label: string;
  /** Probability of the top class (also when `label` is 'uncertain'). */
  confidence: number;
  /** Index of the top class in `labels` (also when `label` is 'uncertain'). */
  topIndex: number;
  uncertain: boolean;
}

/** A CAM output for one frame: `classes` maps of height x width, class-major, row-major. */
export interface CamMaps {
  classes: number;
  height: number;
  width: number;
  data: Float32Array;
  /** How the maps were made: 'gradcam' (exact, from the graph) or a gradient-free fallback. */
  method: string;
}

/** Where the element is, in source-frame pixels. Added by the Grad-CAM stage. */
export interface Localisation {
  head: string;
  classIndex: number;
  /** The class's label: the predicted one, or the one asked for. */
  label: string;
  method: string;
  /** Connected components of the thresholded heatmap, largest first. */
  boxes: Rect[];
  peak: { x: number; y: number };
  /** Fraction of the crop region covered by the mask, 0..1. */
  areaFraction: number;
  /** The crop region the heatmap covers, in source pixels. */
  region: Rect;
}

/** Near-duplicate grouping. Added by the grouping stage. */
export interface GroupInfo {
  groupId: number;
  /** Index of the frame this one repeats (the group's first frame), or undefined when it is new. */
  duplicateOf?: number;
  /** True when inference was skipped and the result was copied from `duplicateOf`. */
  reused: boolean;
  /** 64-bit perceptual hash as 16 hex digits. */
  hash?: string;
}

/** Where a frame came from: its source, its index there and its instant (0 for an image). */
export interface FramePlace {
  sourceId: string;
  index: number;
  ptsSeconds: number;
}

/**
 * One frame of a `rovlens group` run after its runs are merged into groups. Made by the scene
 * collector (similarity) and written by the groups sink, which cannot see each other: it lives here.
 */
export interface FrameRecord extends FramePlace {
  /** Consecutive run (video) or linked set (images) this frame belongs to, numbered over the whole run. */
  segmentId: number;
  /** The group after revisits are merged: the id people use. */
  groupId: number;
  duplicateOf?: number;
  reused: boolean;
  hash: string;
}

/** One group of a `rovlens group` run: where and when it was seen, and its representative. */
export interface GroupRecord {
  groupId: number;
  members: number;
  /** Separate runs merged into this group (more than 1 when a scene was revisited). */
  segments: number;
  sources: string[];
  first: FramePlace;
  last: FramePlace;
  representative: FramePlace;
  /** JPEG of the representative, for contact sheets. */
  thumbnail?: Buffer;
}

/** Where the vehicle was when the frame was taken, from a navigation log. Added by the nav join. */
export interface NavSample {
  /** The frame's instant (ISO 8601; no zone when it is on the log's own clock). */
  time: string;
  /** Interpolated log values by column name; empty outside the log or in a gap of it. */
  values: Record<string, number>;
}

export interface FrameResult {
  frame: Frame;
  /** Keyed by head name from the model card ('floor', 'element'). */
  heads: Record<string, HeadPrediction>;
  embedding?: Float32Array;
  /** Raw CAM maps keyed by head name, when the model (or a fallback) produced them. */
  cams?: Record<string, CamMaps>;
  /** The element's predicted class (or the class the Grad-CAM stage was asked for). */
  localisation?: Localisation;
  /** More heatmaps asked for (`--cam-also`), keyed '<head>:<class>' as asked ('element:waste'). */
  extraLocalisations?: Record<string, Localisation>;
  group?: GroupInfo;
  nav?: NavSample;
  /** Milliseconds spent in the model for this frame (its share of the batch). */
  inferenceMs?: number;
}
