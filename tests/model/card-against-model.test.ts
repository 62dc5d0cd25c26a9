import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../src/errors.js';
import { ModelSession } from '../../src/model/session.js';
import { tmpFile } from '../helpers/clips.js';
import { ELEMENT_LABELS, writeTinyModel, type TinyModel } from '../helpers/tiny-model.js';

/** The tiny model (5 element logits, 4 floor, 16-long embedding) under a card edited by `edit`. */
function withCard(name: string, edit: (card: TinyModel['card']) => TinyModel['card'], withCams = false): string {
  const tiny = writeTinyModel(tmpFile(`card-against-model-${name}`), { withCams });
  writeFileSync(tiny.cardPath, JSON.stringify(edit(structuredClone(tiny.card))));
  return tiny.modelPath;
}

async function openError(modelPath: string): Promise<unknown> {
  try {
    const model = await ModelSession.open(modelPath);
    // Sizes the graph leaves symbolic are checked on the first batch.
    await model.run(new Float32Array(3 * 64 * 64), [1, 3, 64, 64]);
    await model.close();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('the model card against the model it describes', () => {
  it('opens a card whose label counts match the outputs', async () => {
    expect(await openError(withCard('matching', (card) => card))).toBeUndefined();
  });

  it.each([
    ['7 element labels for 5 logits', [...ELEMENT_LABELS, 'sponge', 'coral']],
    ['3 element labels for 5 logits', ELEMENT_LABELS.slice(0, 3)],
  ])('refuses %s with exit 5, naming the field', async (_what, labels) => {
    const error = await openError(withCard(`labels-${labels.length}`, (card) => ((card.heads.element!.labels = [...labels]), card)));
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).exitCode).toBe(5);
    expect((error as Error).message).toBe(
      `model card field 'heads.element.labels': ${labels.length} labels for output 'element_logits' of size 5; the card must match the model`,
    );
  });

  it('refuses an embedding length the embedding output does not have', async () => {
    const error = await openError(withCard('embedding', (card) => ((card.embedding = { ...card.embedding!, length: 32 }), card)));
    expect((error as Error).message).toMatch(/^model card field 'embedding\.length': 32 values for output '.*' of size 16/);
  });
});
