import { readFileSync } from 'node:fs';

/**
 * The card's `provenance.localisation`: the pointing game and mask IoU of the labelled-class CAM
 * against the always-centre baseline, from a `bench/localisation.ts --json` summary, with the data
 * it was measured on and how much of that data the heads were trained on.
 */

interface BenchEntry {
  n: number;
  pointing: number;
  maskIou: number;
  boxIou: number;
  edge: number;
}

export interface LocalisationBenchSummary {
  threshold: number;
  images: number;
  summary: Record<string, Partial<Record<'labelled' | 'predicted' | 'activation' | 'score-cam' | 'occlusion' | 'centre', BenchEntry>>>;
}

const pct = (x: number | undefined) => (x === undefined ? null : Number((100 * x).toFixed(1)));

/** `subsets` maps the bench's subset names to what the card calls them. */
export function localisationProvenance(
  bench: LocalisationBenchSummary,
  subsets: Record<string, string>,
  measuredOn: string,
  caveat: string,
) {
  const rows = Object.entries(subsets)
    .filter(([name]) => bench.summary[name])
    .map(([name, label]) => {
      const s = bench.summary[name]!;
      return {
        subset: label,
        images: s.labelled?.n ?? s.centre?.n ?? 0,
        labelledCam: {
          pointingGamePercent: pct(s.labelled?.pointing),
          maskIouPercent: pct(s.labelled?.maskIou),
          peaksOnOuterRingPercent: pct(s.labelled?.edge),
        },
        // The heatmap a user sees: the CAM of the class the model predicts.
        ...(s.predicted ? { predictedCam: { pointingGamePercent: pct(s.predicted.pointing), maskIouPercent: pct(s.predicted.maskIou) } } : {}),
        meanActivation: { pointingGamePercent: pct(s.activation?.pointing), maskIouPercent: pct(s.activation?.maskIou) },
        // The gradient-free fallbacks on the same images, when the bench ran with --fallbacks.
        ...(s['score-cam']
          ? { scoreCam: { pointingGamePercent: pct(s['score-cam'].pointing), maskIouPercent: pct(s['score-cam'].maskIou) } }
          : {}),
        ...(s.occlusion ? { occlusion: { pointingGamePercent: pct(s.occlusion.pointing), maskIouPercent: pct(s.occlusion.maskIou) } } : {}),
        centreBaseline: { pointingGamePercent: pct(s.centre?.pointing), maskIouPercent: pct(s.centre?.maskIou) },
      };
    });
  return {
    measuredOn,
    protocol: `pointing game: the CAM's peak falls inside the rough box; mask IoU: CAM >= ${bench.threshold} x max against the box on a 200x200 grid; centre baseline: always the image centre, and the whole crop as the mask (bench/localisation.ts)`,
    caveat,
    subsets: rows,
  };
}

/**
 * The card's localisation figures from a `bench/localisation.ts --json` file run on the development
 * boxes (`boxes.csv`), optionally with `--subset-ids` listing the boxed images in the validation split.
 */
export function boxedLocalisationProvenance(benchJson: string, caveat: string) {
  const bench = JSON.parse(readFileSync(benchJson, 'utf8')) as LocalisationBenchSummary;
  const listed = bench.summary.listed?.centre?.n;
  return localisationProvenance(
    bench,
    {
      all: 'all boxed images',
      'single, < 30 %': "single instance, box under 30 % of the frame (the issue's target set)",
      listed: 'boxed images in the validation split of the element head',
      'listed single': 'of those, single and under 30 %',
    },
    `boxes.csv beside the development manifest (${bench.images} images with a rough box around the main element${listed !== undefined ? `; ${listed} of them in the validation split` : ''}), the model's crop and input size`,
    caveat,
  );
}
