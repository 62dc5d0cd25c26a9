import { concat, concatMap, lastValueFrom, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { drain } from '../../src/runners/drain.js';

/** Five frames, then the source fails at once (a recording that stops part-way). */
const failingSource = () =>
  concat(
    of(1, 2, 3, 4, 5),
    throwError(() => new Error('decoding stopped')),
  );
const slowly = (done: number[]) => async (n: number) => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  done.push(n);
};

describe('drain', () => {
  it('finishes the work on every item before failing with the source error', async () => {
    const done: number[] = [];
    await expect(drain(failingSource(), slowly(done))).rejects.toThrow('decoding stopped');
    expect(done).toEqual([1, 2, 3, 4, 5]);
  });

  it('is needed: plain concatMap drops the items queued behind the work in progress', async () => {
    const done: number[] = [];
    await expect(lastValueFrom(failingSource().pipe(concatMap(slowly(done))))).rejects.toThrow('decoding stopped');
    expect(done.length).toBeLessThan(5);
  });

  it('resolves after the last item when the source completes', async () => {
    const done: number[] = [];
    await drain(of(1, 2, 3), slowly(done));
    expect(done).toEqual([1, 2, 3]);
  });
});
