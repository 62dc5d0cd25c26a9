/**
 * Start-up overlapped, for every runner that decodes with ffmpeg and runs a model (timeline,
 * annotate, live): the pipeline is subscribed first, so ffmpeg starts decoding, and the model's ONNX
 * Runtime session is created after. Creating a session holds the event loop for a while; ffmpeg is a
 * process of its own and decodes meanwhile, so its first frames are waiting when the model is ready.
 * The model comes from `ModelSession.prepare` (card read and checked, no session yet).
 */
import { Observable, type ObservableNotification, type Subscriber } from 'rxjs';
import type { ModelSession } from '../model/session.js';

export interface EarlyStart<T> {
  /** The pipeline's output, for one subscriber: what arrived so far, then the rest as it comes. */
  output: Observable<T>;
  /** Stops the pipeline (ffmpeg is killed) when `output` is not going to be subscribed. */
  cancel: () => void;
}

/**
 * Subscribes to `pipeline` now and creates the model's session once `decodeStarted` settles (ffmpeg
 * runs), the pipeline asks for the model, or the pipeline ends first; without `decodeStarted`, on the
 * latter two alone. Results wait in `output` until it is subscribed (flow control, or the live
 * pipeline's dropping of stale frames, bounds how many). A model that cannot load stops the pipeline
 * and rejects: the run ends before any output opens and leaves no ffmpeg behind.
 */
export async function startBeforeLoad<T>(
  pipeline: Observable<T>,
  model: Pick<ModelSession, 'load' | 'loadRequested'>,
  decodeStarted?: Promise<void>,
): Promise<EarlyStart<T>> {
  const early = startNow(pipeline);
  await Promise.race([...(decodeStarted ? [decodeStarted] : []), model.loadRequested, early.settled]);
  try {
    await model.load();
  } catch (error) {
    early.cancel();
    throw error;
  }
  return { output: early.output, cancel: early.cancel };
}

/** A promise for the decoder's `onStart` callback: settles when ffmpeg runs. */
export function decodeStart(): { started: Promise<void>; onStart: () => void } {
  let onStart!: () => void;
  const started = new Promise<void>((resolve) => (onStart = resolve));
  return { started, onStart };
}

/**
 * Subscribes now and keeps what arrives until the one subscriber of `output` takes it; unsubscribing
 * from `output`, or `cancel`, stops the source.
 */
function startNow<T>(source: Observable<T>): { output: Observable<T>; cancel: () => void; settled: Promise<void> } {
  const queue: ObservableNotification<T>[] = [];
  let consumer: Subscriber<T> | undefined;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const deliver = (n: ObservableNotification<T>) => (consumer ? observeNotification(n, consumer) : queue.push(n));
  const upstream = source.subscribe({
    next: (value) => deliver({ kind: 'N', value }),
    error: (error: unknown) => (settle(), deliver({ kind: 'E', error })),
    complete: () => (settle(), deliver({ kind: 'C' })),
  });
  const output = new Observable<T>((subscriber) => {
    consumer = subscriber;
    for (const n of queue.splice(0)) observeNotification(n, subscriber);
    return () => upstream.unsubscribe();
  });
  return { output, cancel: () => upstream.unsubscribe(), settled };
}

function observeNotification<T>(n: ObservableNotification<T>, subscriber: Subscriber<T>): void {
  if (n.kind === 'N') subscriber.next(n.value);
  else if (n.kind === 'E') subscriber.error(n.error);
  else subscriber.complete();
}
