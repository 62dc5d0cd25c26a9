import { readFileSync } from 'node:fs';
import { lastValueFrom, of, throwError, concat, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { headPrediction } from '../../src/model/predict.js';
import { timecode } from '../../src/sinks/columns.js';
import { csvField, csvRow } from '../../src/sinks/csv.js';
import { writeSegments } from '../../src/sinks/segments.js';
import { timelineColumns, writeTimeline } from '../../src/sinks/timeline.js';
import type { FrameResult } from '../../src/types.js';
import { solidFrame } from '../helpers/frames.js';
import { tmpFile } from '../helpers/clips.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

const card = writeTinyModel(tmpFile('sink-model')).card;

function result(pts: number, floorLogits: number[], sourceId = 'dive, "A".mp4'): FrameResult {
  return {
    frame: solidFrame(8, 8, [0, 0, 0], { ptsSeconds: pts, index: Math.round(pts * 25), sourceId }),
    heads: {
      floor: headPrediction(floorLogits, card.heads.floor!.labels, 0.6),
      element: headPrediction([0, 3, 0, 0, 0], card.heads.element!.labels, 0),
    },
    localisation: {
      head: 'element',
      classIndex: 1,
      label: 'fauna',
      method: 'gradcam',
      boxes: [{ x: 10, y: 20, width: 30, height: 40 }],
      peak: { x: 25.4, y: 39.6 },
      areaFraction: 0.12345,
      region: { x: 0, y: 0, width: 8, height: 8 },
    },
    group: { groupId: 3, duplicateOf: 70, reused: true },
  };
}

describe('CSV fields and timecodes', () => {
  it('quotes fields holding commas, quotes or newlines (RFC 4180) and leaves others bare', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvRow([1, 'x'])).toBe('1,x\r\n');
  });

  it('formats timecodes as HH:MM:SS.mmm', () => {
    expect(timecode(0)).toBe('00:00:00.000');
    expect(timecode(3723.4567)).toBe('01:02:03.457');
  });
});

describe('writeTimeline', () => {
  it('writes a header and one complete row per result, in column order, passing results on', async () => {
    const path = tmpFile('timeline-sink.csv');
    const passed = await lastValueFrom(of(result(0, [5, 0, 0, 0]), result(1, [0.1, 0, 0, 0])).pipe(writeTimeline(path, card), toArray()));
    expect(passed).toHaveLength(2);
    const lines = readFileSync(path, 'utf8').split('\r\n');
    expect(lines[0]).toBe(timelineColumns(card).header.join(','));
    expect(lines[1]).toBe(
      '"dive, ""A"".mp4",0,0,00:00:00.000,sandy,0.9802,0.9802,0.0066,0.0066,0.0066,fauna,0.8339,0.0415,0.8339,0.0415,0.0415,0.0415,10 20 30 40,25,40,0.1235,gradcam,3,70,1',
    );
    // Below the head's threshold (0.6) the label is 'uncertain' while the probabilities stay raw.
    expect(lines[2]).toMatch(/^"dive, ""A"".mp4",25,1,00:00:01.000,uncertain,0.2692,0.2692,0.2436,/);
    expect(lines[3]).toBe('');
  });

  it('closes the file with every row written when the stream fails part-way', async () => {
    const path = tmpFile('timeline-sink-error.csv');
    const failing = concat(
      of(result(0, [1, 0, 0, 0])),
      throwError(() => new Error('decoder died')),
    );
    await expect(lastValueFrom(failing.pipe(writeTimeline(path, card)))).rejects.toThrow('decoder died');
    expect(readFileSync(path, 'utf8').trim().split('\r\n')).toHaveLength(2);
  });

  it('writes JSON lines with the full box list and probabilities by label', async () => {
    const path = tmpFile('timeline-sink.jsonl');
    await lastValueFrom(of(result(2, [0, 5, 0, 0])).pipe(writeTimeline(path, card, 'jsonl')));
    const record = JSON.parse(readFileSync(path, 'utf8').trim());
    expect(record.heads.floor.label).toBe('muddy');
    expect(record.heads.floor.probabilities.muddy).toBeCloseTo(0.9802, 4);
    expect(record.localisation.boxes).toEqual([{ x: 10, y: 20, width: 30, height: 40 }]);
    expect(record.timecode).toBe('00:00:02.000');
  });

  it('writes segments when the stream ends, also after an error', async () => {
    const path = tmpFile('segments-sink.csv');
    const stream = concat(
      of(result(0, [5, 0, 0, 0]), result(1, [5, 0, 0, 0]), result(2, [0, 5, 0, 0]), result(3, [0, 5, 0, 0])),
      throwError(() => new Error('stop')),
    );
    await expect(lastValueFrom(stream.pipe(writeSegments(path, ['floor'])))).rejects.toThrow('stop');
    const rows = readFileSync(path, 'utf8').trim().split('\r\n');
    expect(rows.slice(1)).toEqual([
      '"dive, ""A"".mp4",floor,sandy,00:00:00.000,00:00:02.000,0,2,2,2,0.9802',
      '"dive, ""A"".mp4",floor,muddy,00:00:02.000,00:00:04.000,2,4,2,2,0.9802',
    ]);
  });
});
