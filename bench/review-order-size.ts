/**
 * How long the review order takes as a review grows, with representativeness (every pair of group
 * embeddings compared) against without it (the baseline, in the same run). Synthetic groups: one
 * frame each, four image folders, random predictions and random 1280-value embeddings (the bundled
 * model's length). Beyond MAX_COVER_GROUPS the order leaves representativeness out, and a size past it
 * is timed without it only.
 *
 *   npx tsx bench/review-order-size.ts [--groups 500,1000,2000] [--length 1280]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { seededRandom } from '../src/random.js';
import { EmbeddingMean, MAX_COVER_GROUPS, reviewOrder, type ReviewGroup } from '../src/review/order.js';

const { values: args } = parseArgs({
  options: {
    groups: { type: 'string', default: `500,1000,${MAX_COVER_GROUPS}` },
    length: { type: 'string', default: '1280' },
  },
});
const length = Number(args.length);
const random = seededRandom(3);

function syntheticGroups(n: number): ReviewGroup[] {
  return Array.from({ length: n }, (_, i) => {
    const mean = new EmbeddingMean();
    mean.add(Float32Array.from({ length }, () => random()));
    return {
      group: `g${i}`,
      embedding: mean.value()!,
      frames: [
        {
          source: `/dive/camera-${i % 4}/frame-${i}.jpg`,
          predictions: {
            floor: { label: ['sandy', 'muddy'][i % 2]!, confidence: random() },
            element: { label: ['fauna', 'rocks', 'waste'][i % 3]!, confidence: random() },
          },
        },
      ],
    };
  });
}

const seconds = (run: () => unknown) => {
  const started = performance.now();
  run();
  return (performance.now() - started) / 1000;
};

console.log(
  `review order on ${cpus().length} cores (load ${loadavg()[0]!.toFixed(1)}), ${length}-value embeddings; limit ${MAX_COVER_GROUPS} groups`,
);
console.log('| groups | without representativeness (s) | with it (s) |');
console.log('|---|---|---|');
for (const n of args.groups.split(',').map(Number)) {
  const groups = syntheticGroups(n);
  const without = seconds(() => reviewOrder(groups, { representativeWeight: 0 }));
  const within = n <= MAX_COVER_GROUPS;
  const withIt = within ? seconds(() => reviewOrder(groups, { representativeWeight: 1 })) : NaN;
  console.log(`| ${n} | ${without.toFixed(2)} | ${within ? withIt.toFixed(2) : `- (beyond the limit: left out)`} |`);
}
