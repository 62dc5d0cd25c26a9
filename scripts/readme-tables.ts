/** The option tables the README carries, each generated from the schema its command validates with. */
import { optionsTable } from './markdown.js';
import { annotateSchema } from '../src/config/explain.js';
import { clustersCommandSchema, groupCommandSchema } from '../src/config/grouping.js';
import { liveFlagsSchema } from '../src/config/live.js';
import { queueAddSchema, workerSchema } from '../src/config/queue.js';
import { exportOptionsSchema } from '../src/config/export.js';
import { reportOptionsSchema } from '../src/config/report.js';
import { reviewOptionsSchema } from '../src/config/review.js';
import { timelineOptionsSchema } from '../src/config/timeline.js';
import { trainingOptionsSchema } from '../src/config/training.js';

export const README_TABLES: Record<string, () => string> = {
  timeline: () => optionsTable(timelineOptionsSchema),
  live: () => optionsTable(liveFlagsSchema),
  annotate: () => optionsTable(annotateSchema),
  group: () => optionsTable(groupCommandSchema),
  clusters: () => optionsTable(clustersCommandSchema),
  review: () => optionsTable(reviewOptionsSchema),
  train: () => optionsTable(trainingOptionsSchema),
  'queue-add': () => optionsTable(queueAddSchema),
  worker: () => optionsTable(workerSchema),
  export: () => optionsTable(exportOptionsSchema),
  report: () => optionsTable(reportOptionsSchema),
};
