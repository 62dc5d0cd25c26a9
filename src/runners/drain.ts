/**
 * Consuming a stream of frames in order with asynchronous work per frame, without losing any: RxJS
 * passes a source's error on at once, dropping the frames still queued behind the work in progress,
 * so a recording that stops part-way would lose the end of what was decoded.
 */
import { catchError, concatMap, EMPTY, lastValueFrom, type Observable } from 'rxjs';

/** Runs `work` on every item of `source`, one at a time and in order; then fails with the source's error, if any. */
export async function drain<T>(source: Observable<T>, work: (item: T) => Promise<void> | void): Promise<void> {
  let failure: { error: unknown } | undefined;
  await lastValueFrom(
    source.pipe(
      catchError((error: unknown) => {
        failure = { error };
        return EMPTY;
      }),
      concatMap(async (item) => work(item)),
    ),
    { defaultValue: undefined },
  );
  if (failure) throw failure.error;
}
