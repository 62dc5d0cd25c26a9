/**
 * Typed, instructive errors. The CLI prints `rovlens: <message>` on one line and exits with the
 * error's code; a user never sees a stack trace for bad input. Codes are documented in the README.
 */
export const ExitCode = {
  ok: 0,
  /** Something unexpected: a bug. The only case that prints a stack trace (with ROVLENS_DEBUG=1). */
  internal: 1,
  /** Bad command line: unknown option, value out of range. */
  usage: 2,
  /** An input that does not exist or cannot be read. */
  inputMissing: 3,
  /** An input that exists but is not decodable video/images (random bytes, audio only, unsupported codec). */
  inputInvalid: 4,
  /** A model or model card that is missing, malformed, or does not match its card. */
  model: 5,
  /** An output that cannot be written. */
  output: 6,
  /** Decoding failed part-way (truncated file, ffmpeg died); rows for what was decoded are written. */
  decode: 7,
  /** A live source could not be reached and the retries ran out. */
  source: 8,
  /** `rovlens queue wait`: the archive is done, and some recordings failed (`queue status` says why). */
  jobsFailed: 9,
  /** Stopped by SIGINT/SIGTERM; everything processed so far is written. */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class RovlensError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends RovlensError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

export class InputError extends RovlensError {
  constructor(message: string, kind: 'missing' | 'invalid' = 'invalid') {
    super(message, kind === 'missing' ? ExitCode.inputMissing : ExitCode.inputInvalid);
  }
}

export class ModelError extends RovlensError {
  constructor(message: string) {
    super(message, ExitCode.model);
  }
}

export class OutputError extends RovlensError {
  constructor(message: string) {
    super(message, ExitCode.output);
  }
}

export class DecodeError extends RovlensError {
  constructor(message: string) {
    super(message, ExitCode.decode);
  }
}

export class SourceError extends RovlensError {
  constructor(message: string) {
    super(message, ExitCode.source);
  }
}

/** One line, no stack, for anything thrown: typed errors keep their message, others are summarised. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}
