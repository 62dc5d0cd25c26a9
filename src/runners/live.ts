/**
 * `rovlens live` as a library call: starts the source and, meanwhile, the model's session, then the
 * server; runs the live pipeline into the WebSocket (and the timeline CSV with --record), sends
 * status and stats, and stops on the end of a file, a duration, a signal or a source that gave up.
 * The server stays up across source drops.
 */
import { Observable, defer, map, takeUntil, tap, timer, type MonoTypeOperatorFunction } from 'rxjs';
import type { LiveOptions } from '../config/live.js';
import { ExitCode, UsageError } from '../errors.js';
import { ModelSession } from '../model/session.js';
import { withCamOutputs } from '../model-building/add-cam-outputs.js';
import { LiveServer } from '../live/server.js';
import { writeTimeline } from '../sinks/timeline.js';
import { sourceKind, type LiveStatus } from '../sources/live.js';
import { checkInputFile } from '../sources/probe.js';
import { checkOutputPlan, modelInputs } from '../runners/output-plan.js';
import { NmeaFeed } from '../telemetry/nmea-feed.js';
import { NMEA_FIELDS } from '../telemetry/nmea.js';
import type { FrameResult } from '../types.js';
import { livePipeline, type LiveItem } from '../../pipelines/live.js';
import { decodeStart, startBeforeLoad, type EarlyStart } from './start-up.js';
import { overlayMaskers, writeOverlayMask } from '../overlay/mask-file.js';
import { overlaySummary } from '../overlay/masker.js';
import { heatmapReliability, heatmapsOn, reliabilityLine, reliabilityMark } from '../model/heatmap-reliability.js';
import {
  PROTOCOL_VERSION,
  redactSource,
  resultMessage,
  type HistoryEntry,
  type ServerMessage,
  type StatusMessage,
} from '../live/protocol.js';
import { LiveStats, type TotalStats } from '../live/stats.js';
import { stopRequest } from './stop-request.js';

export interface LiveHooks {
  /** Status lines (server address, source state, stats). Default: stderr. */
  notice?: (line: string) => void;
  /** Called once the server listens, with the viewer's address. */
  onListening?: (server: LiveServer) => void;
  /** Resolve it to stop (as SIGINT does); used by tests and embedding applications. */
  stop?: Promise<void>;
  /** Stop on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
}

export interface LiveSummary extends TotalStats {
  exitCode: number;
  /** Each stats interval: seconds since start, rates, latency, resident memory. */
  intervals: {
    atSeconds: number;
    inputFps: number;
    processedFps: number;
    latencyP50Ms: number | null;
    latencyP95Ms: number | null;
    rssBytes: number;
  }[];
}

export async function runLive(input: string, options: LiveOptions, hooks: LiveHooks = {}): Promise<LiveSummary> {
  const notice = hooks.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { pipeline } = options;
  // A missing file is reported before the model loads and the port opens.
  if (sourceKind(input) === 'file') checkInputFile(input);
  // And a --record that is an input or cannot be written, before anything is recorded.
  if (pipeline.record !== undefined) {
    checkOutputPlan(
      [...(sourceKind(input) === 'file' ? [{ flag: 'input', path: input }] : []), ...modelInputs(pipeline.model)],
      [{ flag: '--record', path: pipeline.record, kind: 'file' }],
    );
  }
  // A bad mask picture fails here too, before the port opens.
  if (pipeline.saveOverlayMask !== undefined && pipeline.overlayMask === 'off')
    throw new UsageError('--save-overlay-mask: there is no mask with --overlay-mask off');
  const overlay = (await overlayMaskers(pipeline.overlayMask, { refresh: 'sliding' }))?.();
  // As timeline and annotate: a pooling-plus-linear head exported without CAM output gets it added
  // (exact and free). Gradient-free maps cost tens of passes per frame: not on a live feed.
  const edit = withCamOutputs(pipeline.model);
  if (edit.added.length)
    notice(`rovlens: added exact Grad-CAM outputs for head ${edit.added.join(', ')} (pooling + linear head found in the graph)`);
  // The card now; the session once the source decodes (startBeforeLoad, below).
  const model = ModelSession.prepare(edit.cardPath, { device: pipeline.device, notice });
  const card = model.card;
  // Heatmaps that point worse than the centre (the card says so) stay off unless asked for.
  const reliability = card.heads.element ? heatmapReliability(card) : undefined;
  const showHeatmap = heatmapsOn(pipeline.heatmap, reliability);
  const heatmapNote = reliability && !reliability.reliable ? reliabilityMark(reliability) : undefined;
  const startedMs = Date.now();
  const stats = new LiveStats(startedMs);
  const history: HistoryEntry[] = [];
  let status: StatusMessage = { v: PROTOCOL_VERSION, type: 'status', state: 'connecting', attempt: 0, atMs: startedMs };
  const heads = Object.fromEntries(Object.entries(card.heads).map(([name, spec]) => [name, spec.labels]));
  const hello: ServerMessage = {
    v: PROTOCOL_VERSION,
    type: 'hello',
    source: redactSource(input),
    model: { name: card.name, heads },
    historyMinutes: pipeline.historyMinutes,
    frames: pipeline.sendFrames,
    heatmap: { shown: showHeatmap, ...(heatmapNote ? { note: heatmapNote } : {}) },
  };

  // The source's first events come while the session is created, before the server listens: they
  // are said once it does, after its address, as before; a viewer's greeting carries the latest.
  let listening: LiveServer | undefined;
  const held: LiveStatus[] = [];
  const statusLine = (s: LiveStatus) => {
    const retry = s.state === 'reconnecting' ? ` (attempt ${s.attempt}, in ${s.retryInSeconds?.toFixed(1)} s)` : '';
    return `rovlens live: source ${s.state}${retry}${s.message ? `: ${s.message}` : ''}`;
  };
  const onStatus = (s: LiveStatus) => {
    status = { v: PROTOCOL_VERSION, type: 'status', ...s, atMs: Date.now() };
    if (!listening) return void held.push(s);
    listening.sendControl(status);
    notice(statusLine(s));
  };

  // Start-up overlapped, as timeline's: the source starts, then the session is created while ffmpeg
  // decodes. A stream, a device or stdin may be slow to come (or down) and the viewer page should
  // not wait for it: there the session is created at once, while the source connects. A model that
  // cannot load stops here, before the port opens, with no ffmpeg behind.
  let nav: NmeaFeed | undefined;
  const decode = decodeStart();
  let early: EarlyStart<LiveItem>;
  try {
    early = await startBeforeLoad(
      livePipeline({
        input,
        model,
        options,
        onStatus,
        onFrameReceived: () => stats.frameReceived(),
        onFrameDropped: () => stats.frameDropped(),
        ...(overlay ? { overlay } : {}),
        heatmap: showHeatmap,
        ...(heatmapNote && showHeatmap ? { heatmapNote } : {}),
        // Until the feed listens (just after the session is created) there are no values yet.
        ...(pipeline.navUdp ? { navValues: () => nav?.values(pipeline.navMaxAgeSeconds * 1000) ?? {} } : {}),
        onDecodeStart: decode.onStart,
      }),
      model,
      sourceKind(input) === 'file' ? decode.started : Promise.resolve(),
    );
  } catch (error) {
    await model.close();
    throw error;
  }
  if (card.heads.element && !card.heads.element.cam)
    notice(
      'rovlens live: the element head has no CAM output, so the live feed shows no heatmap (rovlens annotate can draw Score-CAM or occlusion maps)',
    );
  if (heatmapNote)
    notice(`rovlens live: ${reliabilityLine(reliability!)}: ${showHeatmap ? 'shown, as asked (--heatmap)' : 'off (--heatmap shows it)'}`);

  // The navigation feed listens before the server starts, so a port in use fails early.
  try {
    if (pipeline.navUdp) nav = await NmeaFeed.listen(pipeline.navUdp.port, pipeline.navUdp.host);
  } catch (error) {
    early.cancel();
    await model.close();
    throw error;
  }
  if (nav) notice(`rovlens live: navigation from NMEA 0183 on udp ${nav.address}`);

  let server: LiveServer;
  try {
    server = await LiveServer.start(options.server, {
      greeting: () => [hello, { v: PROTOCOL_VERSION, type: 'history', entries: history }, status],
      notice,
    });
  } catch (error) {
    early.cancel();
    await nav?.close();
    await model.close();
    throw error;
  }
  const token = options.server.token ? '?token=<token>' : '';
  notice(`rovlens live: viewer at ${server.url}${token} (WebSocket ${server.url.replace(/^http/, 'ws')}ws); source ${redactSource(input)}`);
  hooks.onListening?.(server);
  listening = server;
  for (const s of held.splice(0)) notice(statusLine(s));

  const intervals: LiveSummary['intervals'] = [];
  let lastLineMs = startedMs;
  const statsTimer = setInterval(() => {
    const now = Date.now();
    const i = stats.interval(now);
    const totals = stats.totals();
    intervals.push({ atSeconds: (now - startedMs) / 1000, ...i, rssBytes: process.memoryUsage.rss() });
    if (now - lastLineMs >= STATS_LINE_MS) {
      lastLineMs = now;
      notice(
        `rovlens live: ${i.inputFps.toFixed(1)} fps in, ${i.processedFps.toFixed(1)} fps processed, ${totals.dropped} dropped (${(100 * totals.droppedFraction).toFixed(0)} %), latency p50 ${fmt(i.latencyP50Ms)} ms p95 ${fmt(i.latencyP95Ms)} ms, ${server.clientCount} viewer(s)`,
      );
    }
    server.sendControl((skippedForYou) => ({
      v: PROTOCOL_VERSION,
      type: 'stats',
      inputFps: round(i.inputFps, 2),
      processedFps: round(i.processedFps, 2),
      droppedFrames: totals.dropped,
      droppedFraction: round(totals.droppedFraction, 4),
      latencyMs: { p50: i.latencyP50Ms, p95: i.latencyP95Ms },
      clients: server.clientCount,
      skippedForYou,
    }));
  }, pipeline.statsIntervalSeconds * 1000);

  const send = (item: LiveItem) => {
    const { result } = item;
    const sentAtMs = Date.now();
    const seq = stats.processed + 1;
    const message = resultMessage(result, seq, sentAtMs, item.jpeg ? item.image : undefined, item.annotated, item.imageRegion);
    server.sendResult(message, item.jpeg, seq);
    stats.frameSent(message.latencyMs);
    history.push({
      decodedAtMs: message.decodedAtMs,
      ptsSeconds: message.ptsSeconds,
      labels: Object.fromEntries(Object.entries(message.heads).map(([h, p]) => [h, p.label])),
    });
    // Late joiners get the last `historyMinutes`; older entries go.
    const oldest = sentAtMs - pipeline.historyMinutes * 60_000;
    while (history.length && history[0]!.decodedAtMs < oldest) history.shift();
  };

  const stop = stopRequest(hooks);

  let failure: unknown;
  try {
    await new Promise<void>((resolve, reject) => {
      const results = early.output;
      const navFields = nav ? [...NMEA_FIELDS] : undefined;
      const recorded = pipeline.record ? results.pipe(recordTimeline(pipeline.record, card, navFields)) : results;
      const stopSignal = new Observable<void>((s) => void stop.stopped.then(() => s.next()));
      const limited = pipeline.durationSeconds ? recorded.pipe(takeUntil(timer(pipeline.durationSeconds * 1000))) : recorded;
      limited.pipe(takeUntil(stopSignal)).subscribe({ next: send, error: reject, complete: resolve });
    });
  } catch (error) {
    failure = error;
  } finally {
    stop.dispose();
    clearInterval(statsTimer);
    if (status.state !== 'ended' && status.state !== 'failed')
      onStatus({ state: 'ended', attempt: 0, message: stop.interrupted ? 'stopped' : 'finished' });
    await server.close('live feed ended');
    await nav?.close();
    await model.close();
  }
  if (failure) throw failure;
  if (overlay) {
    notice(`rovlens live: ${overlaySummary(overlay, pipeline.overlayMask)}`);
    const estimate = overlay.current;
    if (pipeline.saveOverlayMask !== undefined && estimate && overlay.sourceSize)
      await writeOverlayMask(pipeline.saveOverlayMask, estimate.mask, overlay.sourceSize);
  }
  const totals = stats.totals();
  if (nav) notice(`rovlens live: navigation: ${nav.counts.used} NMEA sentences used, ${nav.counts.ignored} lines ignored`);
  notice(
    `rovlens live: ${totals.processed} frames processed of ${totals.received} received (${(100 * totals.droppedFraction).toFixed(1)} % dropped), latency p50 ${fmt(totals.latencyP50Ms)} ms, p95 ${fmt(totals.latencyP95Ms)} ms`,
  );
  return { ...totals, intervals, exitCode: stop.interrupted ? ExitCode.interrupted : ExitCode.ok };
}

/**
 * The timeline CSV of `rovlens timeline`, written row by row while live (with `nav_` columns for a
 * navigation feed); items pass on unchanged.
 */
function recordTimeline(path: string, card: ModelSession['card'], navFields?: readonly string[]): MonoTypeOperatorFunction<LiveItem> {
  return (items) =>
    defer(() => {
      // writeTimeline passes each result object on as it is, so its item can be found again.
      const itemOf = new WeakMap<FrameResult, LiveItem>();
      return items.pipe(
        tap((item) => itemOf.set(item.result, item)),
        map((item) => item.result),
        writeTimeline(path, card, 'csv', navFields ? { navFields } : {}),
        map((result) => itemOf.get(result)!),
      );
    });
}

/** How often the one-line stats go to stderr (the viewers get them every stats interval). */
const STATS_LINE_MS = 10_000;
const round = (x: number, digits: number) => Number(x.toFixed(digits));
const fmt = (x: number | null) => (x === null ? '-' : Math.round(x));
