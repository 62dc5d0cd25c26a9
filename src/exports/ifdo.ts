/**
 * iFDO v2.1.0 (the FAIR image metadata standard that BIIGLE and marine data centres read).
 *
 * `image-set-header`: the user's header file (written once per cruise: names, PI, creators, licence,
 * ...) completed with what rovlens knows: the iFDO version, the acquisition ('video'), the first
 * frame's date and time, the position from the navigation join and its CRS (EPSG:4326). A required
 * field that neither provides is refused, all such fields named in one line.
 * `image-set-items`: per video an array: first its identity (uuid, SHA-256 of the file, handle),
 * then one entry per sampled frame with its date and time and, with navigation, where it was.
 * Annotations (on the video's first entry): whole-image labels per segment and element rectangles,
 * each labelled by the model as annotator, with its confidence; `frames` are seconds from the start.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { InputError, UsageError } from '../errors.js';
import { boxesOf, headsOf, segmentsOf, type ExportFrame, type ExportVideo } from './export-video.js';
import { rovlensVersion, type RunHeader } from './run-file.js';

export const IFDO_VERSION = 'v2.1.0';

/** The header fields iFDO v2.1.0 requires (image-set-header), in the standard's order. */
export const REQUIRED_HEADER_FIELDS = [
  'image-set-name',
  'image-set-uuid',
  'image-set-handle',
  'image-set-ifdo-version',
  'image-datetime',
  'image-latitude',
  'image-longitude',
  'image-altitude-meters',
  'image-coordinate-reference-system',
  'image-coordinate-uncertainty-meters',
  'image-context',
  'image-project',
  'image-event',
  'image-platform',
  'image-sensor',
  'image-pi',
  'image-creators',
  'image-license',
  'image-copyright',
  'image-abstract',
] as const;

/** The user's header file: a JSON object of iFDO header fields. */
export function readIfdoHeader(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`--ifdo-header: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'missing');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`--ifdo-header: ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new InputError(`--ifdo-header: ${path} must hold one JSON object of iFDO header fields`);
  const fields = json as Record<string, unknown>;
  // A header exported from another iFDO is accepted as it is.
  const nested = fields['image-set-header'];
  return nested && typeof nested === 'object' ? (nested as Record<string, unknown>) : fields;
}

/** iFDO's default date format: '%Y-%m-%d %H:%M:%S.%f', in UTC. */
function ifdoDatetime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

/** The frame's instant: from the navigation join, else the file's creation_time plus its time. */
function frameMs(video: ExportVideo, frame: ExportFrame): number | undefined {
  const navTime = frame.record.nav?.time;
  if (navTime) return Date.parse(/Z|[+-]\d\d:?\d\d$/.test(navTime) ? navTime : `${navTime}Z`);
  const created = video.input.probe.creationTime;
  return created ? Date.parse(created) + frame.seconds * 1000 : undefined;
}

interface Position {
  'image-latitude'?: number;
  'image-longitude'?: number;
  'image-altitude-meters'?: number;
}

/** Latitude, longitude and altitude (below the surface: minus the depth) of a frame, from the nav columns. */
function framePosition(header: RunHeader, frame: ExportFrame): Position {
  const values = frame.record.nav?.values ?? {};
  const nav = header.nav;
  const position: Position = {};
  const lat = nav?.latitude ? values[nav.latitude] : undefined;
  const lon = nav?.longitude ? values[nav.longitude] : undefined;
  if (lat !== undefined && lon !== undefined && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
    position['image-latitude'] = Number(lat.toFixed(7));
    position['image-longitude'] = Number(lon.toFixed(7));
  }
  const depthField = nav?.fields.find((f) => /^depth/i.test(f));
  const depth = depthField ? values[depthField] : undefined;
  if (depth !== undefined) position['image-altitude-meters'] = Number((-Math.abs(depth)).toFixed(3));
  return position;
}

/** SHA-256 of the whole file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A version-4-shaped UUID drawn from a digest, so the same video (or set) always gets the same one. */
export function uuidFrom(hexDigest: string): string {
  const h = hexDigest.slice(0, 32).split('');
  h[12] = '4';
  h[16] = '89ab'[parseInt(h[16]!, 16) % 4]!;
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

export async function ifdoJson(videos: readonly ExportVideo[], userHeader: Record<string, unknown>): Promise<string> {
  const createdAt = new Date().toISOString();
  const annotator = videos[0]?.run.header.model.name ?? 'rovlens';
  const items: Record<string, unknown[]> = {};
  const labels = new Map<string, { id: string; name: string; info: string }>();
  // Checked before hashing hours of video: a header missing fields is refused at once.
  const header = completeHeader(videos, userHeader, annotator);
  for (const video of videos) {
    if (!video.path) throw new InputError(`${video.name}: iFDO needs the video file itself (its SHA-256)`, 'missing');
    const sha256 = await sha256File(video.path);
    const runHeader = video.run.header;
    const label = (head: string, name: string, confidence: number) => {
      const id = `${head}:${name}`;
      labels.set(id, { id, name, info: `${head} class of ${annotator}` });
      return { label: id, annotator, 'created-at': createdAt, confidence: Number(confidence.toFixed(4)) };
    };
    const annotations: Record<string, unknown>[] = [];
    for (const head of headsOf(video)) {
      for (const segment of segmentsOf(video, head)) {
        const frames = video.frames.slice(segment.first, segment.last + 1);
        const mean = frames.reduce((sum, f) => sum + f.record.heads[head]!.confidence, 0) / frames.length;
        annotations.push({
          shape: 'whole-image',
          coordinates: frames.map(() => []),
          frames: frames.map((f) => f.seconds),
          labels: [label(head, segment.label, mean)],
        });
      }
    }
    for (const frame of video.frames) {
      for (const { localisation } of boxesOf(frame.record)) {
        const p = frame.record.heads[localisation.head]?.probabilities[localisation.label] ?? 0;
        for (const b of localisation.boxes) {
          const [x0, y0, x1, y1] = [b.x, b.y, b.x + b.width, b.y + b.height];
          annotations.push({
            shape: 'rectangle',
            coordinates: [[x0, y0, x1, y0, x1, y1, x0, y1]],
            frames: [frame.seconds],
            labels: [label(localisation.head, localisation.label, p)],
          });
        }
      }
    }
    const first = video.frames[0];
    const startMs = first ? frameMs(video, first) : undefined;
    const videoStartMs = startMs === undefined || !first ? undefined : startMs - first.seconds * 1000;
    items[video.name] = [
      {
        'image-uuid': uuidFrom(sha256),
        'image-hash-sha256': sha256,
        'image-handle': pathToFileURL(video.path).href,
        'image-acquisition': 'video',
        ...(videoStartMs === undefined ? {} : { 'image-datetime': ifdoDatetime(videoStartMs) }),
        ...(annotations.length ? { 'image-annotations': annotations } : {}),
      },
      ...video.frames.flatMap((frame) => {
        const ms = frameMs(video, frame);
        if (ms === undefined) return [];
        return [{ 'image-datetime': ifdoDatetime(ms), ...framePosition(runHeader, frame) }];
      }),
    ];
  }
  header['image-annotation-labels'] = [...labels.values()];
  return `${JSON.stringify({ 'image-set-header': header, 'image-set-items': items }, null, 1)}\n`;
}

/** The user's header completed with what rovlens knows; a required field still missing is refused. */
function completeHeader(videos: readonly ExportVideo[], userHeader: Record<string, unknown>, annotator: string): Record<string, unknown> {
  const firstFrames = videos.map((video) => {
    const first = video.frames[0];
    return { ms: first ? frameMs(video, first) : undefined, position: first ? framePosition(video.run.header, first) : {} };
  });
  const known: Record<string, unknown> = {
    'image-set-ifdo-version': IFDO_VERSION,
    'image-acquisition': 'video',
    'image-coordinate-reference-system': 'EPSG:4326',
    // The same videos always make the same set id, so exporting again does not make a new data set.
    'image-set-uuid': uuidFrom(createHash('sha256').update(videos.map((v) => v.input.identity.sha256).join()).digest('hex')),
  };
  const first = firstFrames.find((f) => f.ms !== undefined);
  if (first) known['image-datetime'] = ifdoDatetime(first.ms!);
  const positioned = firstFrames.map((f) => f.position).find((p) => p['image-latitude'] !== undefined);
  if (positioned) Object.assign(known, positioned);
  const header: Record<string, unknown> = {
    ...known,
    ...userHeader,
    'image-set-ifdo-version': IFDO_VERSION,
    'image-annotation-creators': [{ id: annotator, name: `${annotator} (rovlens ${rovlensVersion()}, automatic classifier)` }],
  };
  const missing = REQUIRED_HEADER_FIELDS.filter((f) => header[f] === undefined || header[f] === null || header[f] === '');
  if (missing.length) {
    throw new UsageError(`--ifdo-header: iFDO requires ${missing.join(', ')}: add them to the header file`);
  }
  return header;
}
