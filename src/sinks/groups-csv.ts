/**
 * Outputs of `rovlens group`: groups.csv (one row per group: where and when it was seen, how many
 * frames, its representative), frames.csv (one row per sampled frame or image: its group), and
 * contact sheets of the representatives.
 */
import { join } from 'node:path';
import { timecode, type Cell } from './columns.js';
import { contactSheet } from './contact-sheet.js';
import { csvRow } from './csv.js';
import { RowFile, writeOutputFile } from './row-file.js';
import type { FramePlace, FrameRecord, GroupRecord } from '../types.js';

export const GROUP_HEADER = [
  'group_id',
  'members',
  'segments',
  'sources',
  'first_source',
  'first_seconds',
  'first_timecode',
  'last_source',
  'last_seconds',
  'last_timecode',
  'representative_source',
  'representative_index',
  'representative_seconds',
];
export const FRAME_HEADER = [
  'source',
  'frame_index',
  'pts_seconds',
  'timecode',
  'group_id',
  'segment_id',
  'duplicate_of',
  'reused',
  'hash',
];

const seconds = (s: number) => Number(s.toFixed(3));

export function groupRow(g: GroupRecord): Cell[] {
  return [
    g.groupId,
    g.members,
    g.segments,
    g.sources.length,
    g.first.sourceId,
    seconds(g.first.ptsSeconds),
    timecode(g.first.ptsSeconds),
    g.last.sourceId,
    seconds(g.last.ptsSeconds),
    timecode(g.last.ptsSeconds),
    g.representative.sourceId,
    g.representative.index,
    seconds(g.representative.ptsSeconds),
  ];
}

export function frameRow(f: FrameRecord): Cell[] {
  return [
    f.sourceId,
    f.index,
    seconds(f.ptsSeconds),
    timecode(f.ptsSeconds),
    f.groupId,
    f.segmentId,
    f.duplicateOf,
    f.reused ? 1 : 0,
    f.hash,
  ];
}

export function writeGroupsCsv(path: string, groups: readonly GroupRecord[]): void {
  const file = RowFile.open(path, csvRow(GROUP_HEADER));
  try {
    for (const g of groups) file.write(csvRow(groupRow(g)));
  } finally {
    file.close();
  }
}

export function writeFramesCsv(path: string, frames: readonly FrameRecord[]): void {
  const file = RowFile.open(path, csvRow(FRAME_HEADER));
  try {
    for (const f of frames) file.write(csvRow(frameRow(f)));
  } finally {
    file.close();
  }
}

/** Caption of a representative: group id, member count, and where it was first seen. */
export function groupCaption(g: GroupRecord): string {
  const name = g.first.sourceId.split(/[\\/]/).pop() ?? g.first.sourceId;
  const when = g.first.ptsSeconds > 0 || g.last.ptsSeconds > 0 ? ` ${timecode(g.first.ptsSeconds).slice(0, 8)}` : '';
  return `g${g.groupId} x${g.members}${g.segments > 1 ? ` (${g.segments} visits)` : ''}${when} ${name}`;
}

/** Contact sheets of the representatives, `maxTiles` a sheet: groups-001.jpg, groups-002.jpg, ... Returns the paths. */
export async function writeGroupSheets(
  folder: string,
  groups: readonly GroupRecord[],
  options: { columns: number; tileWidth: number; maxTiles: number },
): Promise<string[]> {
  const withTiles = groups.filter((g) => g.thumbnail);
  const paths: string[] = [];
  for (let start = 0; start < withTiles.length; start += options.maxTiles) {
    const page = withTiles.slice(start, start + options.maxTiles);
    const sheet = await contactSheet(
      page.map((g) => ({ image: g.thumbnail!, caption: groupCaption(g) })),
      { columns: options.columns, tileWidth: options.tileWidth },
    );
    const path = join(folder, `groups-${String(paths.length + 1).padStart(3, '0')}.jpg`);
    writeOutputFile(path, sheet);
    paths.push(path);
  }
  return paths;
}

/** One clustered frame, as `rovlens clusters` writes it. */
export interface ClusteredFrame extends FramePlace {
  groupId: number;
  label?: string;
  confidence?: number;
  kmeansCluster?: number;
  kmeansDistance?: number;
  /** -1: noise. */
  dbscanCluster?: number;
  thumbnail?: Buffer;
}

export const CLUSTER_HEADER = [
  'source',
  'frame_index',
  'pts_seconds',
  'timecode',
  'group_id',
  'label',
  'confidence',
  'kmeans_cluster',
  'kmeans_distance',
  'dbscan_cluster',
];

export function writeClustersCsv(path: string, frames: readonly ClusteredFrame[]): void {
  const file = RowFile.open(path, csvRow(CLUSTER_HEADER));
  try {
    for (const f of frames) {
      file.write(
        csvRow([
          f.sourceId,
          f.index,
          seconds(f.ptsSeconds),
          timecode(f.ptsSeconds),
          f.groupId,
          f.label,
          f.confidence === undefined ? undefined : Number(f.confidence.toFixed(4)),
          f.kmeansCluster,
          f.kmeansDistance === undefined ? undefined : Number(f.kmeansDistance.toFixed(4)),
          f.dbscanCluster,
        ]),
      );
    }
  } finally {
    file.close();
  }
}

/**
 * One contact sheet per cluster (`<method>-NN.jpg`; DBSCAN noise in `dbscan-noise.jpg`), members
 * ordered by distance to the k-means centre (most typical first), at most `maxTiles` each.
 */
export async function writeClusterSheets(
  folder: string,
  frames: readonly ClusteredFrame[],
  method: 'kmeans' | 'dbscan',
  options: { tileWidth: number; maxTiles: number },
): Promise<string[]> {
  const byCluster = new Map<number, ClusteredFrame[]>();
  for (const f of frames) {
    const c = method === 'kmeans' ? f.kmeansCluster : f.dbscanCluster;
    if (c === undefined || !f.thumbnail) continue;
    byCluster.set(c, [...(byCluster.get(c) ?? []), f]);
  }
  const paths: string[] = [];
  for (const [cluster, members] of [...byCluster.entries()].sort((a, b) => a[0] - b[0])) {
    const shown = [...members].sort((a, b) => (a.kmeansDistance ?? 0) - (b.kmeansDistance ?? 0)).slice(0, options.maxTiles);
    const sheet = await contactSheet(
      shown.map((f) => ({
        image: f.thumbnail!,
        caption: `${f.label ?? ''} ${f.ptsSeconds > 0 ? timecode(f.ptsSeconds).slice(0, 8) : ''} ${f.sourceId.split(/[\\/]/).pop()}`.trim(),
      })),
      { tileWidth: options.tileWidth },
    );
    const path = join(folder, cluster < 0 ? `${method}-noise.jpg` : `${method}-${String(cluster).padStart(2, '0')}.jpg`);
    writeOutputFile(path, sheet);
    paths.push(path);
  }
  return paths;
}
