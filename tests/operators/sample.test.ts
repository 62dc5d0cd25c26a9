import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { sampleEvery } from '../../src/operators/sample.js';
import { solidFrame } from '../helpers/frames.js';

const at = (ptsSeconds: number) => solidFrame(2, 2, [0, 0, 0], { ptsSeconds, index: Math.round(ptsSeconds * 10) });
const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('sampleEvery', () => {
  it('keeps the first frame of each slot as it arrives, by the frames own timestamps', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const frames = { a: at(0), b: at(0.4), c: at(1.05), d: at(1.9), e: at(2.0), f: at(4.2) };
      const source = cold('a-b-c-d-e-f|', frames);
      expectObservable(source.pipe(sampleEvery(1))).toBe('a---c---e-f|', frames);
    });
  });

  it('passes every frame through when the interval is 0', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const frames = { a: at(0), b: at(0.01) };
      expectObservable(cold('ab|', frames).pipe(sampleEvery(0))).toBe('ab|', frames);
    });
  });

  it('keeps state per subscription and reports dropped frames', () => {
    const dropped: number[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const frames = { a: at(0), b: at(0.5), c: at(1) };
      const sampled = cold('abc|', frames).pipe(sampleEvery(1, { onDrop: (f) => dropped.push(f.ptsSeconds) }));
      // A second, later subscriber starts from an empty slot history: it keeps its own first frame.
      expectObservable(sampled).toBe('a-c|', frames);
      expectObservable(sampled, '--^').toBe('--a-c|', frames);
    });
    expect(dropped).toEqual([0.5, 0.5]);
  });
});
