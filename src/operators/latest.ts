/**
 * `latest(project)`: run `project` on one value at a time and, while it is busy, keep only the newest
 * value that arrived; older waiting values are dropped (and reported), never queued. A live feed then
 * always works on the freshest frame, and memory stays bounded however slow the work is.
 *
 * Like `exhaustMap`, but the value that arrives while busy is not lost: the newest one runs next.
 * When the source completes, the running value and the one waiting (if any) still finish.
 */
import { Observable, from, type ObservableInput, type OperatorFunction, type Subscription } from 'rxjs';

export interface LatestOptions<T> {
  /** Called for every value dropped because a newer one arrived while the work was busy. */
  onDrop?: (value: T) => void;
}

export function latest<T, R>(
  project: (value: T, index: number) => ObservableInput<R>,
  options: LatestOptions<T> = {},
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      // Per subscription: the value waiting for the worker, whether one is waiting, the worker itself.
      let pending: T | undefined;
      let hasPending = false;
      let busy: Subscription | undefined;
      let sourceDone = false;
      let index = 0;

      const runNext = (): void => {
        if (!hasPending) {
          if (sourceDone) subscriber.complete();
          return;
        }
        const value = pending as T;
        pending = undefined;
        hasPending = false;
        let finished = false;
        let inner: ObservableInput<R>;
        try {
          inner = project(value, index++);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        const subscription = from(inner).subscribe({
          next: (result) => subscriber.next(result),
          error: (error) => subscriber.error(error),
          complete: () => {
            finished = true;
            busy = undefined;
            runNext();
          },
        });
        // A synchronous inner has already finished (and started the next) by now.
        if (!finished) busy = subscription;
      };

      const upstream = source.subscribe({
        next: (value) => {
          if (hasPending) options.onDrop?.(pending as T);
          pending = value;
          hasPending = true;
          if (!busy) runNext();
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (!busy && !hasPending) subscriber.complete();
        },
      });

      return () => {
        upstream.unsubscribe();
        busy?.unsubscribe();
        pending = undefined;
        hasPending = false;
      };
    });
}
