/** A tiny model whose card records a heatmap that points worse than the centre (as the bundled model's does). */
import { readFileSync, writeFileSync } from 'node:fs';
import { writeTinyModel, type TinyModel } from './tiny-model.js';

export function writeTinyModelWithUnreliableHeatmap(dir: string): TinyModel {
  const tiny = writeTinyModel(dir);
  const card = JSON.parse(readFileSync(tiny.cardPath, 'utf8'));
  card.provenance = {
    ...card.provenance,
    localisation: {
      subsets: [
        {
          subset: 'single instance, box under 30 % of the frame',
          images: 40,
          labelledCam: { pointingGamePercent: 42.5 },
          predictedCam: { pointingGamePercent: 37.5 },
          centreBaseline: { pointingGamePercent: 60 },
        },
      ],
    },
  };
  writeFileSync(tiny.cardPath, JSON.stringify(card, null, 2));
  return tiny;
}
