/**
 * How a long-running server job (live, review) is asked to stop: Ctrl-C or SIGTERM (an interruption,
 * exit 130), or its caller's `stop` promise (a normal end). Listening starts at once, so a signal at
 * any point from here on stops the job cleanly instead of killing the process mid-write.
 */
export interface StopRequest {
  /** Settles on the first request to stop. */
  stopped: Promise<void>;
  /** Whether a stop was asked for. */
  readonly requested: boolean;
  /** Whether it came from a signal. */
  readonly interrupted: boolean;
  /** Stops listening for signals. */
  dispose: () => void;
}

export function stopRequest(hooks: { stop?: Promise<void>; handleSignals?: boolean }): StopRequest {
  let requested = false;
  let interrupted = false;
  let resolve!: () => void;
  const stopped = new Promise<void>((r) => (resolve = r));
  const stop = () => {
    requested = true;
    resolve();
  };
  const onSignal = () => {
    interrupted = true;
    stop();
  };
  if (hooks.handleSignals !== false) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  void hooks.stop?.then(stop);
  return {
    stopped,
    get requested() {
      return requested;
    },
    get interrupted() {
      return interrupted;
    },
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
