/**
 * `rovlens export` and `rovlens timeline --export`, spawned as a user runs them, on a generated
 * variable-frame-rate clip (25 fps for 1 s, then 12.5 fps; bright, then dark with a red patch) with
 * the tiny model and a navigation log. Each format is read back by a parser written here from its
 * specification, and VIAME CSV, DIVE JSON and COCO also by DIVE's own importer when it is present.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { ffprobePath } from '../../src/sources/binaries.js';
import { runCli } from '../helpers/cli.js';
import { ffmpeg, tmpFile } from '../helpers/clips.js';
import { ELEMENT_LABELS, FLOOR_LABELS, writeTinyModel } from '../helpers/tiny-model.js';

const DIR = tmpFile('exports');
const SHARED = join(import.meta.dirname, '../../../shared');
const ORACLE = join(SHARED, 'oracles/dive-import/check.py');
const SCHEMAS = join(SHARED, 'schemas');
const haveOracle = existsSync(ORACLE) && existsSync('/usr/bin/python3');
const haveSchemas = existsSync(join(SCHEMAS, 'ifdo-v2.1.0.schema.json'));
if (!haveOracle) console.warn(`[rovlens tests] skipping DIVE importer checks: ${ORACLE} not found (the shared oracles sit beside the checkout)`);
if (!haveSchemas) console.warn(`[rovlens tests] skipping iFDO schema checks: ${SCHEMAS} not found`);

const VIDEO_START_MS = Date.parse('2022-10-06T13:50:40Z');
const video = join(DIR, 'plongée ñ 1.mkv');
const run = join(DIR, 'run.jsonl');
const model = join(DIR, 'model');
const LABELS = new Set<string>([...FLOOR_LABELS, ...ELEMENT_LABELS]);
/** The decoded frames' presentation times, as ffprobe reads them: the truth for frame numbers. */
let frameTimes: number[] = [];

function truthFrame(seconds: number): number {
  let best = 0;
  frameTimes.forEach((t, i) => {
    if (Math.abs(t - seconds) < Math.abs(frameTimes[best]! - seconds)) best = i;
  });
  return best;
}

function oracle(...args: string[]): { code: number | null; out: Record<string, unknown> } {
  const result = spawnSync('/usr/bin/python3', [ORACLE, ...args], { encoding: 'utf8' });
  return { code: result.status, out: JSON.parse(result.stdout.trim() || '{}') as Record<string, unknown> };
}

async function rovlens(...args: string[]) {
  const result = await runCli(args, { env: { ROVLENS_DEBUG: '' } });
  return result;
}

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  // 38 bright frames at 25 fps, then 38 dark ones with a red patch; after frame 25 the clock slows to 12.5 fps.
  ffmpeg([
    '-filter_complex',
    "color=c=0xd0d0d0:s=160x120:r=25:d=1.5[a];color=c=0x101010:s=160x120:r=25:d=1.5,drawbox=x=100:y=40:w=30:h=30:color=red:t=fill[b];[a][b]concat=n=2,format=yuv420p,setpts='if(lt(N,25),N/25,1+(N-25)/12.5)/TB'[v]",
    '-map',
    '[v]',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-vsync',
    'vfr',
    video,
  ]);
  const probe = spawnSync(ffprobePath(), ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', video], {
    encoding: 'utf8',
  });
  frameTimes = probe.stdout
    .split('\n')
    .map((line) => Number.parseFloat(line))
    .filter(Number.isFinite);
  writeTinyModel(model);
  // One record a second, heading north and going down.
  const log = ['time,lat,lon,depth'];
  for (let s = 0; s <= 10; s++) log.push(`${new Date(VIDEO_START_MS + s * 1000).toISOString()},${(47 + s * 0.0001).toFixed(4)},-122.5,${10 + s}`);
  writeFileSync(join(DIR, 'nav.csv'), `${log.join('\n')}\n`);
  const timeline = await rovlens(
    'timeline',
    video,
    '--model',
    join(model, 'tiny.onnx'),
    '--every',
    '0.5',
    '--format',
    'jsonl',
    '-o',
    run,
    '--nav',
    join(DIR, 'nav.csv'),
    '--video-start',
    new Date(VIDEO_START_MS).toISOString(),
    '--export',
    `biigle:${join(DIR, 'during-run.biigle.csv')}`,
    '--export',
    `viame:${join(DIR, 'during-run.viame.csv')}`,
    '-q',
  );
  expect(timeline.code, timeline.stderr).toBe(0);
});

/** The run's frame records, read here from the JSON lines without the project's reader. */
function runRecords(): { ptsSeconds: number; heads: Record<string, { label: string; uncertain: boolean }> }[] {
  return readFileSync(run, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l));
}

describe('the test clip', () => {
  it('has a variable frame rate, so pts x fps numbers would be wrong', () => {
    expect(frameTimes.length).toBe(76);
    const last = runRecords().at(-1)!.ptsSeconds;
    expect(Math.round(last * 25)).not.toBe(truthFrame(last));
  });
});

describe('VIAME CSV', () => {
  interface ViameRow {
    track: number;
    time: string;
    frame: number;
    box: number[];
    confidence: number;
    length: number;
    pairs: [string, number][];
    attributes: string[];
  }

  function readViame(path: string): { header: string[]; rows: ViameRow[] } {
    const text = readFileSync(path, 'utf8');
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
    const lines = text.split(/\r?\n/).filter(Boolean);
    const header = lines.slice(0, 2);
    const rows = (parse(lines.slice(2).join('\n'), { relax_column_count: true }) as string[][]).map((cells): ViameRow => {
      expect(cells.length).toBeGreaterThanOrEqual(9);
      for (const i of [0, 2]) expect(cells[i]).toMatch(/^\d+$/);
      const rest = cells.slice(9);
      const pairs: [string, number][] = [];
      let i = 0;
      while (i + 1 < rest.length && !rest[i]!.startsWith('(')) {
        pairs.push([rest[i]!, Number(rest[i + 1])]);
        i += 2;
      }
      return {
        track: Number(cells[0]),
        time: cells[1]!,
        frame: Number(cells[2]),
        box: cells.slice(3, 7).map(Number),
        confidence: Number(cells[7]),
        length: Number(cells[8]),
        pairs,
        attributes: rest.slice(i),
      };
    });
    return { header, rows };
  }

  const seconds = (time: string) => time.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);

  it('has the legend and metadata lines, and one row per detection on the stream’s real frame', async () => {
    const out = join(DIR, 'dive.viame.csv');
    const result = await rovlens('export', run, '--to', 'viame', '-o', out);
    expect(result.code, result.stderr).toBe(0);
    const { header, rows } = readViame(out);
    expect(header[0]).toMatch(/^# 1: Detection or Track-id,2: Video or Image Identifier,3: Unique Frame Identifier,4-7: Img-bbox\(TL_x,TL_y,BR_x,BR_y\)/);
    expect(header[1]).toMatch(/^# metadata,fps: [\d.]+,exported_by: rovlens /);
    const records = runRecords();
    // Per sampled frame: one floor segment detection, one element segment detection, and its boxes.
    expect(new Set(rows.map((r) => r.frame)).size).toBe(records.length);
    for (const row of rows) {
      expect(row.frame).toBe(truthFrame(seconds(row.time)));
      expect(row.length).toBe(-1);
      expect(row.box[0]).toBeGreaterThanOrEqual(0);
      expect(row.box[1]).toBeGreaterThanOrEqual(0);
      expect(row.box[2]).toBeLessThanOrEqual(160);
      expect(row.box[3]).toBeLessThanOrEqual(120);
      expect(row.box[2]).toBeGreaterThan(row.box[0]!);
      expect(row.box[3]).toBeGreaterThan(row.box[1]!);
      expect(row.confidence).toBeGreaterThanOrEqual(0);
      expect(row.confidence).toBeLessThanOrEqual(1);
      expect(row.pairs.length).toBeGreaterThan(0);
      for (const [label, score] of row.pairs) {
        expect(LABELS.has(label)).toBe(true);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
      }
      const scores = row.pairs.map((p) => p[1]);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
    // Segments are tracks: the floor changes once (bright sand, then dark mud), so two floor tracks,
    // each labelled on its last row with the segment's label (DIVE keeps the last row's labels).
    const floorTracks = new Map<number, ViameRow[]>();
    for (const row of rows.filter((r) => r.attributes.includes('(trk-atr) head floor'))) {
      floorTracks.set(row.track, [...(floorTracks.get(row.track) ?? []), row]);
    }
    const segmentLabels = [...floorTracks.values()].map((track) => {
      const last = track.at(-1)!;
      const label = last.attributes.find((a) => a.startsWith('(trk-atr) segment_label '))!.split(' ').pop();
      expect(last.pairs[0]![0]).toBe(label);
      return label;
    });
    const floors = records.map((r) => r.heads.floor!.label);
    expect(segmentLabels).toEqual(floors.filter((l, i) => i === 0 || floors[i - 1] !== l));
    // Whole-frame detections cover the frame.
    expect(rows.filter((r) => r.attributes.includes('(trk-atr) head floor')).every((r) => r.box.join() === '0,0,160,120')).toBe(true);
  });

  it('is the same file when written during the run with --export', async () => {
    const afterwards = readFileSync(join(DIR, 'dive.viame.csv'), 'utf8');
    expect(readFileSync(join(DIR, 'during-run.viame.csv'), 'utf8')).toBe(afterwards);
  });

  it.skipIf(!haveOracle)('loads in DIVE’s own importer with every detection, on the same frames, at the video’s fps', () => {
    const path = join(DIR, 'dive.viame.csv');
    const { rows } = readViame(path);
    const fps = Number(/fps: ([\d.]+)/.exec(readFileSync(path, 'utf8'))![1]);
    const { code, out } = oracle('viame', path, '--fps', String(fps));
    expect(code, JSON.stringify(out)).toBe(0);
    expect(out.fps_match).toBe(true);
    expect(out.detections).toBe(rows.length);
    expect(out.tracks).toBe(new Set(rows.map((r) => r.track)).size);
    expect(out.frame_min).toBe(Math.min(...rows.map((r) => r.frame)));
    expect(out.frame_max).toBe(Math.max(...rows.map((r) => r.frame)));
    expect((out.labels as string[]).every((l) => LABELS.has(l))).toBe(true);
    expect(out.labels).not.toContain('unknown');
  });

  it.skipIf(!haveOracle)('avoids what makes DIVE refuse a whole file: a byte-order mark, a fractional track id', () => {
    const text = readFileSync(join(DIR, 'dive.viame.csv'), 'utf8');
    const bom = join(DIR, 'bom.viame.csv');
    writeFileSync(bom, `\uFEFF${text}`);
    expect(oracle('viame', bom).code).toBe(1);
    const fractional = join(DIR, 'fractional.viame.csv');
    writeFileSync(fractional, text.replace(/\r\n0,/, '\r\n0.0,'));
    expect(oracle('viame', fractional).code).toBe(1);
  });
});

describe('DIVE JSON', () => {
  it('is a version 2 annotation file whose tracks begin and end on their first and last feature', async () => {
    const out = join(DIR, 'dive.dive.json');
    const result = await rovlens('export', run, '--to', 'dive', '-o', out);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      version: number;
      groups: object;
      tracks: Record<string, { id: number; begin: number; end: number; confidencePairs: [string, number][]; features: { frame: number; bounds: number[] }[] }>;
    };
    expect(json.version).toBe(2);
    expect(Object.keys(json).sort()).toEqual(['groups', 'tracks', 'version']);
    const frames = new Set(frameTimes.map((_, i) => i));
    for (const [key, track] of Object.entries(json.tracks)) {
      expect(String(track.id)).toBe(key);
      expect(track.begin).toBe(track.features[0]!.frame);
      expect(track.end).toBe(track.features.at(-1)!.frame);
      for (const f of track.features) {
        expect(Number.isInteger(f.frame) && frames.has(f.frame)).toBe(true);
        expect(f.bounds.every(Number.isInteger)).toBe(true);
      }
      expect(LABELS.has(track.confidencePairs[0]![0])).toBe(true);
    }
  });

  it.skipIf(!haveOracle)('loads in DIVE’s importer as annotations, not as a configuration file', () => {
    const { code, out } = oracle('dive', join(DIR, 'dive.dive.json'));
    expect(code, JSON.stringify(out)).toBe(0);
    expect(out.detected_as).toBe('dive-json');
    const json = JSON.parse(readFileSync(join(DIR, 'dive.dive.json'), 'utf8')) as { tracks: object };
    expect(out.tracks).toBe(Object.keys(json.tracks).length);
    // The same file with a top-level fps would be taken for a configuration and its tracks skipped.
    const withFps = join(DIR, 'with-fps.dive.json');
    writeFileSync(withFps, JSON.stringify({ ...json, fps: 25 }));
    expect(oracle('dive', withFps).out.detected_as).toBe('dive-configuration');
  });
});

describe('COCO', () => {
  it('lists the sampled frames (extracted as JPEGs) with their stream frame numbers, element boxes with scores, and the model’s labels', async () => {
    const out = join(DIR, 'dive.coco.json');
    const result = await rovlens('export', run, '--to', 'coco', '-o', out, '--frames');
    expect(result.code, result.stderr).toBe(0);
    const coco = JSON.parse(readFileSync(out, 'utf8')) as {
      images: { id: number; file_name: string; width: number; height: number; frame_index: number; timestamp: number; attributes: Record<string, unknown> }[];
      annotations: { id: number; image_id: number; category_id: number; bbox: number[]; area: number; score: number; iscrowd: number }[];
      categories: { id: number; name: string; supercategory: string }[];
    };
    expect(coco.categories.map((c) => c.name).sort()).toEqual([...LABELS].sort());
    const records = runRecords();
    expect(coco.images).toHaveLength(records.length);
    const imageIds = new Set(coco.images.map((i) => i.id));
    for (const [i, image] of coco.images.entries()) {
      expect(image.frame_index).toBe(truthFrame(image.timestamp));
      expect(image.attributes.floor).toBe(records[i]!.heads.floor!.label);
      const jpeg = join(DIR, image.file_name);
      const size = spawnSync(ffprobePath(), ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', jpeg], { encoding: 'utf8' });
      expect(size.stdout.trim()).toBe('mjpeg,160,120');
    }
    // The extracted picture is that frame: bright before the cut, dark after (mean luma from ffmpeg).
    for (const image of [coco.images[0]!, coco.images.at(-1)!]) {
      const stats = spawnSync(
        ffprobePath(),
        ['-v', 'error', '-f', 'lavfi', '-i', `movie='${join(DIR, image.file_name)}',signalstats`, '-show_entries', 'frame_tags=lavfi.signalstats.YAVG', '-of', 'csv=p=0'],
        { encoding: 'utf8' },
      );
      const luma = Number(stats.stdout.trim());
      expect(image.timestamp < 2 ? luma > 150 : luma < 60).toBe(true);
    }
    const categories = new Set(coco.categories.map((c) => c.id));
    for (const a of coco.annotations) {
      expect(imageIds.has(a.image_id)).toBe(true);
      expect(categories.has(a.category_id)).toBe(true);
      expect(a.bbox).toHaveLength(4);
      expect(a.bbox[0]! + a.bbox[2]!).toBeLessThanOrEqual(160);
      expect(a.bbox[1]! + a.bbox[3]!).toBeLessThanOrEqual(120);
      expect(a.area).toBe(a.bbox[2]! * a.bbox[3]!);
      expect(a.score).toBeGreaterThan(0);
      expect(a.score).toBeLessThanOrEqual(1);
    }
  });

  it.skipIf(!haveOracle)('loads in DIVE’s COCO importer', () => {
    const { code, out } = oracle('coco', join(DIR, 'dive.coco.json'));
    expect(code, JSON.stringify(out)).toBe(0);
    const coco = JSON.parse(readFileSync(join(DIR, 'dive.coco.json'), 'utf8')) as { annotations: unknown[] };
    expect(out.detections).toBe(coco.annotations.length);
  });
});

describe('iFDO v2.1.0', () => {
  const cruise = {
    'image-set-name': 'Test cruise, dive 1, ROV camera',
    'image-set-handle': 'https://hdl.handle.net/20.500.12085/test-dive-1',
    'image-coordinate-uncertainty-meters': 5,
    'image-context': { name: 'rovlens tests' },
    'image-project': { name: 'Test cruise' },
    'image-event': { name: 'Dive 1' },
    'image-platform': { name: 'BlueROV2' },
    'image-sensor': { name: 'Low-light HD camera' },
    'image-pi': { name: 'A. Scientist', uri: 'https://orcid.org/0000-0002-1825-0097' },
    'image-creators': [{ name: 'A. Scientist' }],
    'image-license': { name: 'CC-BY-4.0', uri: 'https://creativecommons.org/licenses/by/4.0/' },
    'image-copyright': 'Test institute',
    'image-abstract': 'Seafloor video of one dive, classified by rovlens for floor type and main element.',
  };

  it('is valid against the iFDO and annotation schemas, with each frame’s time and position from the navigation join', async () => {
    writeFileSync(join(DIR, 'cruise.json'), JSON.stringify(cruise));
    const out = join(DIR, 'dive.ifdo.json');
    const result = await rovlens('export', run, '--to', 'ifdo', '--ifdo-header', join(DIR, 'cruise.json'), '-o', out);
    expect(result.code, result.stderr).toBe(0);
    const ifdo = JSON.parse(readFileSync(out, 'utf8')) as {
      'image-set-header': Record<string, unknown>;
      'image-set-items': Record<string, Record<string, unknown>[]>;
    };
    const header = ifdo['image-set-header'];
    expect(header['image-set-ifdo-version']).toBe('v2.1.0');
    expect(header['image-coordinate-reference-system']).toBe('EPSG:4326');
    const items = ifdo['image-set-items']['plongée ñ 1.mkv']!;
    const records = runRecords();
    expect(items).toHaveLength(records.length + 1);
    const sha = spawnSync('sha256sum', [video], { encoding: 'utf8' }).stdout.split(' ')[0];
    expect(items[0]!['image-hash-sha256']).toBe(sha);
    for (const [i, entry] of items.slice(1).entries()) {
      const seconds = records[i]!.ptsSeconds;
      expect(Date.parse(`${String(entry['image-datetime']).replace(' ', 'T')}Z`)).toBe(VIDEO_START_MS + Math.round(seconds * 1000));
      // The log goes 0.0001 degrees north and 1 m down per second.
      expect(entry['image-latitude']).toBeCloseTo(47 + seconds * 0.0001, 7);
      expect(entry['image-longitude']).toBe(-122.5);
      expect(entry['image-altitude-meters']).toBeCloseTo(-(10 + seconds), 3);
    }
    const annotations = items[0]!['image-annotations'] as { shape: string; coordinates: number[][]; frames: number[]; labels: { label: string; confidence: number }[] }[];
    const wholeImage = annotations.filter((a) => a.shape === 'whole-image');
    expect(wholeImage.filter((a) => a.labels[0]!.label.startsWith('floor:')).map((a) => a.labels[0]!.label)).toEqual(['floor:sandy', 'floor:muddy']);
    for (const a of annotations) {
      expect(a.coordinates).toHaveLength(a.frames.length);
      expect(a.coordinates.every((c) => c.length === (a.shape === 'rectangle' ? 8 : 0))).toBe(true);
      expect(a.labels[0]!.confidence).toBeGreaterThan(0);
      expect(a.labels[0]!.confidence).toBeLessThanOrEqual(1);
    }
    if (!haveSchemas) return;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addFormat('uri', (s: string) => URL.canParse(s));
    ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s));
    ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, 'annotation-v2.0.0.schema.json'), 'utf8')) as object);
    // iFDO refers to a provenance schema for `image-set-provenance`, which the export does not write
    // and which is not among the schemas here: an open stand-in lets the reference resolve.
    ajv.addSchema({ $id: 'https://marine-imaging.com/fair/schemas/provenance-v0.1.0.json' });
    const validate = ajv.compile(draft2020(JSON.parse(readFileSync(join(SCHEMAS, 'ifdo-v2.1.0.schema.json'), 'utf8'))) as object);
    expect(validate(ifdo), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
  });

  it('refuses a header missing required fields in one line naming them', async () => {
    const { ['image-pi']: _pi, ['image-license']: _licence, ...partial } = cruise;
    writeFileSync(join(DIR, 'partial.json'), JSON.stringify(partial));
    const result = await rovlens('export', run, '--to', 'ifdo', '--ifdo-header', join(DIR, 'partial.json'), '-o', join(DIR, 'partial.ifdo.json'));
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toBe('rovlens: --ifdo-header: iFDO requires image-pi, image-license: add them to the header file\n');
    expect(existsSync(join(DIR, 'partial.ifdo.json'))).toBe(false);
  });
});

/**
 * The published iFDO schema keeps four draft-04 leftovers (`minimum: 0, exclusiveMinimum: true`),
 * which a 2020-12 validator rejects as a schema; in 2020-12 words that is `exclusiveMinimum: 0`.
 */
function draft2020(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(draft2020);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = draft2020(value);
  if (out.exclusiveMinimum === true && typeof out.minimum === 'number') {
    out.exclusiveMinimum = out.minimum;
    delete out.minimum;
  }
  return out;
}

describe('BIIGLE video annotation CSV', () => {
  it('has one whole-frame annotation per segment, spanning it in seconds', async () => {
    const out = join(DIR, 'dive.biigle.csv');
    const result = await rovlens('export', run, '--to', 'biigle', '-o', out);
    expect(result.code, result.stderr).toBe(0);
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    const duration = frameTimes.at(-1)!;
    for (const row of rows) {
      expect(Object.keys(row)).toHaveLength(15);
      expect([row.shape_id, row.shape_name, row.points, row.video_filename]).toEqual(['7', 'WholeFrame', '[]', 'plongée ñ 1.mkv']);
      const [start, end] = JSON.parse(row.frames!) as number[];
      expect(start).toBeGreaterThanOrEqual(0);
      expect(end).toBeGreaterThanOrEqual(start!);
      expect(end).toBeLessThanOrEqual(duration);
      expect(LABELS.has(row.label_name!)).toBe(true);
      expect(row.label_hierarchy).toBe(`${FLOOR_LABELS.includes(row.label_name as never) ? 'floor' : 'element'} > ${row.label_name}`);
    }
    const floor = rows.filter((r) => r.label_hierarchy!.startsWith('floor'));
    expect(floor.map((r) => r.label_name)).toEqual(['sandy', 'muddy']);
    // Adjacent segments meet: sand ends where mud starts.
    expect(JSON.parse(floor[0]!.frames!)[1]).toBe(JSON.parse(floor[1]!.frames!)[0]);
    const during = parse(readFileSync(join(DIR, 'during-run.biigle.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(during.map(({ created_at: _c, ...rest }) => rest)).toEqual(rows.map(({ created_at: _c, ...rest }) => rest));
  });
});

describe('rovlens timeline --export', () => {
  it('exports from a CSV run too, into a folder, and refuses a target it does not know', async () => {
    const out = join(DIR, 'csv-run');
    rmSync(out, { recursive: true, force: true });
    const result = await rovlens('timeline', video, '--model', join(model, 'tiny.onnx'), '--every', '1', '-o', `${out}/`, '--export', `dive:${out}/dive/`, '-q');
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'dive', 'plongée ñ 1.dive.json'), 'utf8')) as { tracks: Record<string, { features: { frame: number }[] }> };
    const frames = [...new Set(Object.values(json.tracks).flatMap((t) => t.features.map((f) => f.frame)))].sort((a, b) => a - b);
    // Every second by the stream's own clock: 0, 1, 2.04 (the first frame at or after 2 s), 3, 4.04, 5.
    expect(frames).toEqual([0, 1, 2.04, 3, 4.04, 5].map(truthFrame));
    const bad = await rovlens('timeline', video, '--model', join(model, 'tiny.onnx'), '--export', 'kml:x.kml');
    expect(bad.code).toBe(ExitCode.usage);
    expect(bad.stderr).toMatch(/^rovlens: --export: give <format>:<file> with format one of viame, dive, coco, ifdo, biigle/);
  });
});

describe('bad input', () => {
  it('refuses a run file from an older rovlens in one line', async () => {
    const older = join(DIR, 'older.jsonl');
    writeFileSync(older, readFileSync(run, 'utf8').split('\n').slice(1).join('\n'));
    const result = await rovlens('export', older, '--to', 'viame', '-o', join(DIR, 'older.csv'));
    expect(result.code).toBe(ExitCode.inputInvalid);
    expect(result.stderr).toMatch(/^rovlens: .*older\.jsonl was written by an older rovlens \(no run header on line 1\): run 'rovlens timeline --format jsonl' again to export it\n$/);
  });

  it('refuses a run file that is not UTF-8 in one line', async () => {
    const latin1 = join(DIR, 'latin1.jsonl');
    writeFileSync(latin1, Buffer.concat([Buffer.from(readFileSync(run, 'utf8').split('\n')[0]!), Buffer.from([0x0a, 0x7b, 0xe9, 0x7d, 0x0a])]));
    const result = await rovlens('export', latin1, '--to', 'viame', '-o', join(DIR, 'latin1.csv'));
    expect(result.code).toBe(ExitCode.inputInvalid);
    expect(result.stderr).toBe(`rovlens: ${latin1} is not a run file: it is not UTF-8 text\n`);
  });

  it('says where a video that moved was expected, and finds it with --videos', async () => {
    const moved = join(DIR, 'moved');
    mkdirSync(moved, { recursive: true });
    renameSync(video, join(moved, 'plongée ñ 1.mkv'));
    try {
      const result = await rovlens('export', run, '--to', 'ifdo', '--ifdo-header', join(DIR, 'cruise.json'), '-o', join(DIR, 'moved.ifdo.json'));
      expect(result.code).toBe(ExitCode.inputMissing);
      expect(result.stderr).toBe(`rovlens: video not found: ${run} expects ${video}; pass --videos <folder> where it is now\n`);
      // VIAME needs it too on a variable-frame-rate clip that the container calls constant: it goes on, and says so.
      const viame = await rovlens('export', run, '--to', 'viame', '-o', join(DIR, 'moved.viame.csv'));
      expect(viame.code).toBe(0);
      expect(viame.stderr).toMatch(/expects .*; its frame numbers are estimated as time x 25 fps \(exact at a constant frame rate\)/);
      const found = await rovlens('export', run, '--to', 'viame', '-o', join(DIR, 'found.viame.csv'), '--videos', moved);
      expect(found.code, found.stderr).toBe(0);
      expect(readFileSync(join(DIR, 'found.viame.csv'), 'utf8')).toBe(readFileSync(join(DIR, 'dive.viame.csv'), 'utf8'));
    } finally {
      renameSync(join(moved, 'plongée ñ 1.mkv'), video);
    }
  });

  it('refuses options that do not fit the format, and several videos into one VIAME file', async () => {
    expect((await rovlens('export', run, '--to', 'viame', '-o', join(DIR, 'x.csv'), '--frames')).stderr).toBe(
      'rovlens: --frames: only with --to coco\n',
    );
    const ifdo = await rovlens('export', run, '--to', 'ifdo', '-o', join(DIR, 'x.json'));
    expect(ifdo.code).toBe(ExitCode.usage);
    const twoRuns = join(DIR, 'two-runs');
    mkdirSync(twoRuns, { recursive: true });
    copyFileSync(run, join(twoRuns, 'a.jsonl'));
    copyFileSync(run, join(twoRuns, 'b.jsonl'));
    const one = await rovlens('export', twoRuns, '--to', 'dive', '-o', join(DIR, 'both.dive.json'));
    expect(one.code).toBe(ExitCode.usage);
    expect(one.stderr).toMatch(/describes one video per file and the run holds 2: give a folder/);
    const folder = await rovlens('export', twoRuns, '--to', 'dive', '-o', `${join(DIR, 'per-video')}/`);
    expect(folder.code, folder.stderr).toBe(0);
    expect(readdirSync(join(DIR, 'per-video')).sort()).toEqual(['plongée ñ 1-2.dive.json', 'plongée ñ 1.dive.json']);
  });
});
