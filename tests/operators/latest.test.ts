import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { of, timer, map, throwError, Subject, firstValueFrom, toArray, defer } from 'rxjs';
import { latest } from '../../src/operators/latest.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Work that takes `busy` frames of virtual time and answers the value in upper case. */
const slowUpper = (busy: number) => (value: string) => timer(busy).pipe(map(() => value.toUpperCase()));

describe('latest', () => {
  describe('good calls', () => {
    it('passes every value through when the work keeps up', () => {
      scheduler().run(({ cold, expectObservable }) => {
        const source = cold('a---b---c---|');
        expectObservable(source.pipe(latest(slowUpper(2)))).toBe('--A---B---C-|');
      });
    });

    it('drops the values that were overtaken while the work was busy and runs the newest next', () => {
      const dropped: string[] = [];
      scheduler().run(({ cold, expectObservable, flush }) => {
        const source = cold('abcd------|');
        // a starts at 0 and takes 5; b, c and d arrive meanwhile: only d runs next (5 -> 10).
        expectObservable(source.pipe(latest(slowUpper(5), { onDrop: (v) => dropped.push(v) }))).toBe('-----A----(D|)');
        flush();
      });
      expect(dropped).toEqual(['b', 'c']);
    });

    it('runs the newest waiting value each time the work frees up and reports each drop once', () => {
      const dropped: string[] = [];
      scheduler().run(({ cold, expectObservable, flush }) => {
        // a runs 0-3 while b, c, d arrive (d overtakes b and c); d runs 3-6 while e waits; e runs 6-9.
        const source = cold('abcde-----f-------|');
        expectObservable(source.pipe(latest(slowUpper(3), { onDrop: (v) => dropped.push(v) }))).toBe('---A--D--E---F----|');
        flush();
      });
      expect(dropped).toEqual(['b', 'c']);
    });

    it('finishes the running and the waiting value after the source completes', () => {
      scheduler().run(({ cold, expectObservable }) => {
        const source = cold('ab|');
        expectObservable(source.pipe(latest(slowUpper(4)))).toBe('----A---(B|)');
      });
    });

    it('keeps its state per subscription, so two subscribers do not share drops', async () => {
      const dropped: string[] = [];
      const operator = latest((v: string) => of(v.toUpperCase()), { onDrop: (v) => dropped.push(v) });
      const first = await firstValueFrom(of('a', 'b').pipe(operator, toArray()));
      const second = await firstValueFrom(of('c').pipe(operator, toArray()));
      // Synchronous work is never busy, so nothing is dropped and both runs see all their values.
      expect(first).toEqual(['A', 'B']);
      expect(second).toEqual(['C']);
      expect(dropped).toEqual([]);
    });

    it('accepts promises as work', async () => {
      const source = new Subject<number>();
      const out = firstValueFrom(
        source.pipe(
          latest(async (n: number) => n * 2),
          toArray(),
        ),
      );
      source.next(1);
      source.next(2); // arrives while 1 is still awaiting: waits
      source.next(3); // overtakes 2
      source.complete();
      expect(await out).toEqual([2, 6]);
    });
  });

  describe('bad calls and failures', () => {
    it('passes an error from the work downstream and stops', () => {
      scheduler().run(({ cold, expectObservable }) => {
        const source = cold('a-b-c|');
        const work = (v: string) => (v === 'b' ? throwError(() => new Error('boom')) : of(v));
        expectObservable(source.pipe(latest(work))).toBe('a-#', undefined, new Error('boom'));
      });
    });

    it('passes an error thrown while starting the work downstream', () => {
      scheduler().run(({ cold, expectObservable }) => {
        const source = cold('a-b|');
        const work = (v: string) => {
          if (v === 'b') throw new Error('bad start');
          return of(v);
        };
        expectObservable(source.pipe(latest(work))).toBe('a-#', undefined, new Error('bad start'));
      });
    });

    it('passes a source error downstream', () => {
      scheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('a-#').pipe(latest(slowUpper(1)))).toBe('-A#');
      });
    });

    it('unsubscribes the running work and the source on teardown', () => {
      scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const inner = cold('----x|');
        const source = cold('a-------b|');
        expectObservable(source.pipe(latest(() => inner)), '^--!').toBe('----');
        expectSubscriptions(source.subscriptions).toBe('^--!');
        expectSubscriptions(inner.subscriptions).toBe('^--!');
      });
    });

    it('starts no work after teardown even when a value was waiting', async () => {
      let started = 0;
      const source = new Subject<number>();
      const subscription = source.pipe(latest((n: number) => defer(() => ((started += 1), timer(20).pipe(map(() => n)))))).subscribe();
      source.next(1);
      source.next(2);
      subscription.unsubscribe();
      await new Promise((r) => setTimeout(r, 40));
      expect(started).toBe(1);
    });
  });
});
