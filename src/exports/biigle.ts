/**
 * BIIGLE video annotation CSV: the columns of BIIGLE's own video annotation report, one row per
 * segment and head as a whole-frame annotation (shape 7, WholeFrame: no points) spanning the segment,
 * so each floor type and element shows as a label track along the video. Frames are seconds from the
 * start (BIIGLE's video annotation frames); a segment ends where the next one starts, or at its last
 * sampled frame. Label and user ids are BIIGLE's own and unknown here: left empty, the label's name
 * and its hierarchy (`floor > sandy`) say which label of your tree it is.
 */
import { csvRow } from '../sinks/csv.js';
import { headsOf, segmentsOf, type ExportVideo } from './export-video.js';

export const BIIGLE_COLUMNS = [
  'video_annotation_label_id',
  'label_id',
  'label_name',
  'label_hierarchy',
  'user_id',
  'firstname',
  'lastname',
  'video_id',
  'video_filename',
  'shape_id',
  'shape_name',
  'points',
  'frames',
  'annotation_id',
  'created_at',
] as const;

export const WHOLE_FRAME_SHAPE_ID = 7;

export function biigleCsv(videos: readonly ExportVideo[]): string {
  const createdAt = new Date().toISOString().replace('T', ' ').slice(0, 19);
  let id = 0;
  const rows: string[] = [csvRow([...BIIGLE_COLUMNS])];
  for (const video of videos) {
    for (const head of headsOf(video)) {
      for (const segment of segmentsOf(video, head)) {
        id++;
        const start = video.frames[segment.first]!.seconds;
        const next = video.frames[segment.last + 1];
        const end = next ? next.seconds : video.frames[segment.last]!.seconds;
        rows.push(
          csvRow([
            id,
            '',
            segment.label,
            `${head} > ${segment.label}`,
            '',
            'rovlens',
            video.run.header.model.name,
            '',
            video.name,
            WHOLE_FRAME_SHAPE_ID,
            'WholeFrame',
            '[]',
            JSON.stringify([start, end]),
            id,
            createdAt,
          ]),
        );
      }
    }
  }
  return rows.join('');
}
