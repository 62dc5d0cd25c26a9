import { describe, expect, it } from 'vitest';
import { camSummary, decodeFrame, encodeFrame, parseClientMessage, redactSource, resultMessage } from '../../src/live/protocol.js';
import { solidFrame } from '../helpers/frames.js';
import type { FrameResult } from '../../src/types.js';
import { headPrediction } from '../../src/model/predict.js';

const labels = ['a', 'b'];
const result = (camData: number[]): FrameResult => ({
  frame: solidFrame(4, 4, [0, 0, 0], {
    index: 3,
    ptsSeconds: 1.23456,
    decodedAtMs: 1000,
    region: { x: 10, y: 0, width: 40, height: 40 },
    sourceSize: { width: 60, height: 40 },
  }),
  heads: { element: headPrediction([0, 2], labels, 0) },
  cams: { element: { classes: 2, width: 2, height: 1, data: Float32Array.from(camData), method: 'gradcam' } },
});

describe('live protocol', () => {
  it('round-trips a frame message: seq in the first 4 bytes, then the JPEG', () => {
    const jpeg = Uint8Array.from([0xff, 0xd8, 7, 0xff, 0xd9]);
    const decoded = decodeFrame(encodeFrame(4_000_000_123, jpeg));
    expect(decoded.seq).toBe(4_000_000_123);
    expect([...decoded.jpeg]).toEqual([...jpeg]);
  });

  it('refuses a frame message shorter than its header', () => {
    expect(() => decodeFrame(Uint8Array.from([1, 2]))).toThrow(/at least 4 bytes, got 2/);
  });

  it('accepts the one client message and ignores everything else', () => {
    expect(parseClientMessage('{"type":"set","frames":false}')).toEqual({ type: 'set', frames: false });
    for (const junk of ['', 'nope', '{}', '{"type":"set","frames":1}', '{"type":"set","frames":true,"x":1}', '"set"']) {
      expect(parseClientMessage(junk), junk).toBeUndefined();
    }
  });

  it('hides a password in a source URL and leaves other sources alone', () => {
    expect(redactSource('rtsp://pilot:s3cret@10.0.0.5:554/stream')).toBe('rtsp://pilot:***@10.0.0.5:554/stream');
    expect(redactSource('udp://127.0.0.1:5000')).toBe('udp://127.0.0.1:5000');
    expect(redactSource('/data/dive 12:30.mp4')).toBe('/data/dive 12:30.mp4');
  });

  it("sends the element CAM of the top class, ReLU'd and scaled to 0..1", () => {
    // class 1 ('b') is on top; its map is [-1, 4] -> [0, 1]; class 0's map is ignored.
    const cam = camSummary(result([9, 9, -1, 4]))!;
    expect(cam).toMatchObject({ head: 'element', classIndex: 1, width: 2, height: 1 });
    expect(cam.data).toEqual([0, 1]);
  });

  it('measures latency from the decoder to the send and keeps the region the image shows', () => {
    const message = resultMessage(result([0, 0, 1, 1]), 5, 1250, { width: 4, height: 4 });
    expect(message).toMatchObject({
      seq: 5,
      frameIndex: 3,
      ptsSeconds: 1.235,
      decodedAtMs: 1000,
      sentAtMs: 1250,
      latencyMs: 250,
      image: { width: 4, height: 4 },
    });
    expect(message.region).toEqual({ x: 10, y: 0, width: 40, height: 40 });
    expect(message.heads.element!.label).toBe('b');
    expect(message.heads.element!.probabilities[0]! + message.heads.element!.probabilities[1]!).toBeCloseTo(1, 3);
  });

  it('says which source pixels the picture shows beside the crop the model saw (protocol 2)', () => {
    const message = resultMessage(result([0, 0, 1, 1]), 6, 1250, { width: 30, height: 20 }, true, { x: 0, y: 0, width: 60, height: 40 });
    expect(message.v).toBe(2);
    expect(message.imageRegion).toEqual({ x: 0, y: 0, width: 60, height: 40 });
    expect(message.region).toEqual({ x: 10, y: 0, width: 40, height: 40 });
    expect(message).toMatchObject({ image: { width: 30, height: 20 }, annotated: true });
  });

  it('takes the picture to show the model frame itself when no picture region is given', () => {
    expect(resultMessage(result([0, 0, 1, 1]), 7, 1250).imageRegion).toEqual({ x: 10, y: 0, width: 40, height: 40 });
  });

  it('rounds fractional regions from a scaled display frame to 1/100 of a source pixel', () => {
    const r = result([0, 0, 1, 1]);
    const fractional = { ...r, frame: { ...r.frame, region: { x: 316.6666667, y: 0, width: 1286.3333333, height: 1080 } } };
    const message = resultMessage(fractional, 8, 1250, undefined, false, { x: 0, y: 0, width: 1920, height: 1080 });
    expect(message.region.x).toBeCloseTo(316.67, 6);
    expect(message.region.width).toBeCloseTo(1286.33, 6);
    expect(message.imageRegion).toEqual({ x: 0, y: 0, width: 1920, height: 1080 });
  });
});
