import { Observable, type OperatorFunction } from 'rxjs';
import type { ModelSession } from '../model/session.js';
import { predictBatch, type PredictOptions } from '../model/predict.js';
import type { Frame, FrameResult } from '../types.js';

export interface InferOptions extends PredictOptions {
  /** Most frames per ONNX Runtime run. */
  batchSize?: number;
}

/**
 * Runs the model on model-sized frames, in order. Batches adapt to the source: when the model is
 * idle a frame goes at once (live latency), and while it is busy arriving frames queue up to form
 * the next batch (throughput on files). One run at a time: the model already uses every core.
 */
export function infer(model: ModelSession, options: InferOptions = {}): OperatorFunction<Frame, FrameResult> {
  const batchSize = Math.max(1, options.batchSize ?? 1);
  return (source) =>
    new Observable<FrameResult>((subscriber) => {
      const queue: Frame[] = [];
      let running = false;
      let sourceDone = false;
      // A source that fails part-way (a truncated file) still gets its queued frames inferred first.
      let sourceError: { error: unknown } | undefined;

      const pump = () => {
        if (running || subscriber.closed) return;
        if (!queue.length) {
          if (sourceError) subscriber.error(sourceError.error);
          else if (sourceDone) subscriber.complete();
          return;
        }
        running = true;
        const batch = queue.splice(0, batchSize);
        predictBatch(model, batch, options).then(
          (results) => {
            running = false;
            for (const result of results) subscriber.next(result);
            pump();
          },
          (error) => subscriber.error(error),
        );
      };

      const subscription = source.subscribe({
        next: (frame) => {
          queue.push(frame);
          pump();
        },
        error: (error) => {
          sourceError = { error };
          sourceDone = true;
          pump();
        },
        complete: () => {
          sourceDone = true;
          pump();
        },
      });
      return () => subscription.unsubscribe();
    });
}
