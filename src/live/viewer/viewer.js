// The rovlens live viewer: plain browser JavaScript, no framework. Speaks protocol v2
// (docs/live-protocol.md): JSON messages, and binary frames = uint32 BE seq + JPEG.
// The picture shows `imageRegion` of the source (the whole frame); the model saw `region` (its crop):
// the heatmap, boxes and peak go over that part only, and the crop is outlined.
const PROTOCOL_VERSION = 2;
const $ = (id) => document.getElementById(id);
const frameCanvas = $('frame');
const frameCtx = frameCanvas.getContext('2d');
const stripCanvas = $('timeline');
const stripCtx = stripCanvas.getContext('2d');

const state = {
  labels: {}, // head -> labels in order
  historyMinutes: 5,
  history: [], // { decodedAtMs, labels: {head: label} }
  results: new Map(), // seq -> result, the last few, to pair with their JPEG
  lastImage: null, // ImageBitmap of the last frame drawn
  lastResult: null,
  framesDrawn: 0,
  reconnectDelayMs: 500,
};

// Colours people expect for the default labels; other models' labels take the palette in order.
const NAMED = {
  sandy: '#e6c229',
  muddy: '#7a5230',
  'muddy-sand': '#b08d57',
  reef: '#e0457b',
  ripples: '#4fb3d9',
  fauna: '#f28e2b',
  algae: '#44c767',
  waste: '#9b6ad6',
  rocks: '#a0a0a0',
};
const PALETTE = ['#e6c229', '#7a5230', '#b08d57', '#e0457b', '#4fb3d9', '#44c767', '#9b6ad6', '#f28e2b', '#a0a0a0'];
const colourOf = (head, label) => {
  if (NAMED[label]) return NAMED[label];
  const i = (state.labels[head] ?? []).indexOf(label);
  return i < 0 ? '#555' : PALETTE[(i + (head === 'element' ? 4 : 0)) % PALETTE.length];
};

// Turbo-like ramp for the heatmap: cold = transparent blue, hot = opaque red.
function heatColour(v) {
  const r = Math.round(255 * Math.min(1, Math.max(0, 1.5 * v - 0.25) * 1.2));
  const g = Math.round(255 * Math.max(0, 1 - Math.abs(2 * v - 1) * 1.4));
  const b = Math.round(255 * Math.max(0, 1 - 2 * v));
  return [r, g, b, Math.round(150 * Math.min(1, v * 1.5))];
}

function connect() {
  const token = new URLSearchParams(location.search).get('token');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  setPill($('connection'), 'connecting', 'connecting');
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => {
    state.reconnectDelayMs = 500;
    setPill($('connection'), 'open', 'connected');
    ws.send(JSON.stringify({ type: 'set', frames: $('show-frames').checked }));
  };
  $('show-frames').onchange = () =>
    ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'set', frames: $('show-frames').checked }));
  ws.onmessage = (event) => (typeof event.data === 'string' ? onJson(JSON.parse(event.data)) : onFrame(event.data));
  ws.onclose = () => {
    // The server went away (restart, network): keep the page and try again with backoff.
    setPill($('connection'), 'closed', `disconnected; retrying in ${(state.reconnectDelayMs / 1000).toFixed(1)} s`);
    setTimeout(connect, state.reconnectDelayMs);
    state.reconnectDelayMs = Math.min(10_000, state.reconnectDelayMs * 2);
  };
}

function setPill(el, stateName, text) {
  el.dataset.state = stateName;
  el.textContent = text;
}

function onJson(m) {
  if (m.v !== PROTOCOL_VERSION) return;
  if (m.type === 'hello') {
    state.labels = m.model.heads;
    state.historyMinutes = m.historyMinutes;
    $('history-minutes').textContent = String(m.historyMinutes);
    $('source-name').textContent = m.source;
    // The model card's verdict: a heatmap that points no better than the centre is marked, or off.
    const note = m.heatmap?.note ? `heatmap unreliable: ${m.heatmap.note.replace(/^unreliable: /, '')}` : '';
    $('heatmap-note').textContent = m.heatmap && !m.heatmap.shown ? `${note} (off; rovlens live --heatmap shows it)` : note;
    buildHeads();
    buildLegend();
  } else if (m.type === 'history') {
    state.history = m.entries.slice();
    drawStrip();
  } else if (m.type === 'status') {
    const text =
      m.state === 'reconnecting'
        ? `source: reconnecting (attempt ${m.attempt}, in ${m.retryInSeconds?.toFixed(1)} s)`
        : `source: ${m.state}`;
    setPill($('source-status'), m.state, text);
    $('status-message').textContent = m.message ?? '';
  } else if (m.type === 'stats') {
    $('rates').textContent = `${m.inputFps.toFixed(1)} fps in / ${m.processedFps.toFixed(1)} fps out`;
    $('latency').textContent =
      m.latencyMs.p50 === null ? 'latency -' : `latency p50 ${Math.round(m.latencyMs.p50)} ms, p95 ${Math.round(m.latencyMs.p95)} ms`;
    $('dropped').textContent = `dropped ${(100 * m.droppedFraction).toFixed(0)} % · ${m.clients} viewer(s)`;
  } else if (m.type === 'result') {
    onResult(m);
  }
}

/** '43.650000° N 7.350020° E · heading 91° · altitude -38.4 m', or 'no position' when the feed is silent. */
function navText(v) {
  const parts = [];
  if (v.latitude !== undefined && v.longitude !== undefined) {
    const lat = `${Math.abs(v.latitude).toFixed(6)}° ${v.latitude < 0 ? 'S' : 'N'}`;
    const lon = `${Math.abs(v.longitude).toFixed(6)}° ${v.longitude < 0 ? 'W' : 'E'}`;
    parts.push(`${lat} ${lon}`);
  }
  if (v.heading_deg !== undefined) parts.push(`heading ${Math.round(v.heading_deg)}°`);
  if (v.altitude_m !== undefined) parts.push(`altitude ${v.altitude_m.toFixed(1)} m`);
  return parts.length ? parts.join(' · ') : 'no position (navigation feed silent)';
}

function onResult(r) {
  state.lastResult = r;
  state.results.set(r.seq, r);
  if (state.results.size > 8) state.results.delete(state.results.keys().next().value);
  const labels = {};
  for (const [head, h] of Object.entries(r.heads)) labels[head] = h.label;
  state.history.push({ decodedAtMs: r.decodedAtMs, ptsSeconds: r.ptsSeconds, labels });
  updateHeads(r);
  $('frame-index').textContent = String(r.frameIndex);
  $('pts').textContent = r.ptsSeconds.toFixed(2);
  $('group').textContent = r.groupId ?? '-';
  $('nav').textContent = r.nav ? navText(r.nav.values) : '';
  // Without a JPEG coming (frames off, or this client was behind), draw the overlay on the last picture.
  if (!r.image || !$('show-frames').checked) draw(null, r);
  drawStrip();
}

async function onFrame(buffer) {
  const seq = new DataView(buffer).getUint32(0, false);
  const result = state.results.get(seq);
  const bitmap = await createImageBitmap(new Blob([new Uint8Array(buffer, 4)], { type: 'image/jpeg' }));
  if (result && state.lastResult && result.seq < state.lastResult.seq - 4) return bitmap.close(); // stale
  draw(bitmap, result ?? state.lastResult);
}

// The canvas is at least 640 px wide, so small pictures still get crisp boxes and marks.
const MIN_CANVAS_WIDTH = 640;
// Outside the crop the picture is dimmed like the server renderer does (src/explain/render.ts), so the
// part the model saw stands out; the outline is cyan so it never reads as a box (white) or as heat.
const OUTSIDE_DIMMING = 0.35;
const CROP_OUTLINE = '#00e5ff';

function draw(bitmap, r) {
  if (bitmap) {
    state.lastImage?.close?.();
    state.lastImage = bitmap;
  }
  const img = state.lastImage;
  // Source pixels the picture shows; older results without it showed the crop itself.
  const view = r?.imageRegion ?? r?.region;
  const imageWidth = img?.width ?? r?.image?.width ?? view?.width ?? 640;
  const imageHeight = img?.height ?? r?.image?.height ?? view?.height ?? 360;
  const scale = Math.max(1, MIN_CANVAS_WIDTH / imageWidth);
  const width = Math.round(imageWidth * scale);
  const height = Math.round(imageHeight * scale);
  if (frameCanvas.width !== width || frameCanvas.height !== height) {
    frameCanvas.width = width;
    frameCanvas.height = height;
  }
  frameCtx.imageSmoothingEnabled = true;
  if (img) frameCtx.drawImage(img, 0, 0, width, height);
  else frameCtx.clearRect(0, 0, width, height);
  if (img && view && r?.sourceSize) {
    $('picture-size').textContent = `${img.width}×${img.height} px of ${r.sourceSize.width}×${r.sourceSize.height}`;
  }
  // A server-rendered picture already shows the crop outline, heatmap and boxes.
  const drawOverlay = !(bitmap && r?.annotated);
  if (drawOverlay && r && view) {
    const toCanvas = canvasMapping(view, width, height);
    const crop = toCanvas(r.region);
    dimOutside(crop, width, height);
    if (r.cam && $('show-heatmap').checked) drawHeatmap(r.cam, crop);
    if (r.localisation) drawBoxes(r.localisation, toCanvas);
    drawCropOutline(crop, width);
  }
  if (bitmap) {
    state.framesDrawn++;
    $('frames-drawn').textContent = String(state.framesDrawn);
  }
}

// Source pixels -> canvas pixels: the canvas shows `view` of the source stretched to width x height.
function canvasMapping(view, width, height) {
  const sx = width / view.width;
  const sy = height / view.height;
  return (rect) => ({
    x: (rect.x - view.x) * sx,
    y: (rect.y - view.y) * sy,
    width: (rect.width ?? 0) * sx,
    height: (rect.height ?? 0) * sy,
  });
}

function dimOutside(crop, width, height) {
  if (crop.x <= 0.5 && crop.y <= 0.5 && crop.width >= width - 1 && crop.height >= height - 1) return;
  frameCtx.save();
  frameCtx.fillStyle = `rgba(0, 0, 0, ${OUTSIDE_DIMMING})`;
  frameCtx.beginPath();
  frameCtx.rect(0, 0, width, height);
  frameCtx.rect(crop.x, crop.y, crop.width, crop.height);
  frameCtx.fill('evenodd');
  frameCtx.restore();
}

// The CAM grid covers the crop region only (the model saw nothing else).
function drawHeatmap(cam, crop) {
  const grid = new OffscreenCanvas(cam.width, cam.height);
  const g = grid.getContext('2d');
  const pixels = g.createImageData(cam.width, cam.height);
  cam.data.forEach((v, i) => pixels.data.set(heatColour(v), i * 4));
  g.putImageData(pixels, 0, 0);
  frameCtx.imageSmoothingEnabled = true;
  frameCtx.drawImage(grid, crop.x, crop.y, crop.width, crop.height);
}

// Boxes and peak come in source pixels.
function drawBoxes(localisation, toCanvas) {
  frameCtx.lineWidth = Math.max(2, frameCanvas.width / 400);
  frameCtx.strokeStyle = '#ffffff';
  for (const box of localisation.boxes) {
    const b = toCanvas(box);
    frameCtx.strokeRect(b.x, b.y, b.width, b.height);
  }
  const p = toCanvas(localisation.peak);
  frameCtx.fillStyle = '#ff3b3b';
  frameCtx.beginPath();
  frameCtx.arc(p.x, p.y, frameCtx.lineWidth * 2.5, 0, 2 * Math.PI);
  frameCtx.fill();
}

function drawCropOutline(crop, width) {
  const line = Math.max(2, width / 480);
  frameCtx.save();
  frameCtx.lineWidth = line;
  frameCtx.strokeStyle = CROP_OUTLINE;
  frameCtx.setLineDash([line * 6, line * 4]);
  frameCtx.strokeRect(crop.x, crop.y, crop.width, crop.height);
  frameCtx.restore();
}

function buildHeads() {
  const root = $('heads');
  root.replaceChildren();
  for (const [head, labels] of Object.entries(state.labels)) {
    const box = document.createElement('div');
    box.className = 'head';
    const title = document.createElement('h2');
    title.textContent = head;
    const top = document.createElement('div');
    top.className = 'label';
    top.id = `${head}-label`;
    top.textContent = '-';
    box.append(title, top);
    for (const label of labels) {
      const row = document.createElement('div');
      row.className = 'bar';
      row.dataset.head = head;
      row.dataset.label = label;
      row.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="value">-</span>';
      row.querySelector('.name').textContent = label;
      box.append(row);
    }
    root.append(box);
  }
}

function updateHeads(r) {
  for (const [head, h] of Object.entries(r.heads)) {
    const labelEl = document.getElementById(`${head}-label`);
    if (labelEl) labelEl.textContent = `${h.label} (${Math.round(100 * h.confidence)} %)`;
    (state.labels[head] ?? []).forEach((label, i) => {
      const row = document.querySelector(`.bar[data-head="${head}"][data-label="${CSS.escape(label)}"]`);
      if (!row) return;
      const p = h.probabilities[i] ?? 0;
      row.querySelector('.fill').style.width = `${(100 * p).toFixed(1)}%`;
      row.querySelector('.value').textContent = p.toFixed(2);
      row.classList.toggle('top', label === h.label);
    });
  }
}

function buildLegend() {
  const legend = $('legend');
  legend.replaceChildren();
  for (const [head, labels] of Object.entries(state.labels)) {
    for (const label of labels) {
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colourOf(head, label);
      legend.append(swatch, document.createTextNode(label));
    }
  }
}

// One row per head; x is wall-clock time over the last `historyMinutes`, newest at the right.
function drawStrip() {
  const now = Date.now();
  const spanMs = state.historyMinutes * 60_000;
  while (state.history.length && state.history[0].decodedAtMs < now - spanMs) state.history.shift();
  const rect = stripCanvas.getBoundingClientRect();
  if (rect.width && stripCanvas.width !== Math.round(rect.width)) stripCanvas.width = Math.round(rect.width);
  const { width, height } = stripCanvas;
  stripCtx.clearRect(0, 0, width, height);
  const heads = Object.keys(state.labels);
  const rowHeight = height / Math.max(1, heads.length);
  const x = (t) => width - ((now - t) / spanMs) * width;
  state.history.forEach((e, i) => {
    const next = state.history[i + 1]?.decodedAtMs ?? now;
    heads.forEach((head, row) => {
      stripCtx.fillStyle = colourOf(head, e.labels[head]);
      stripCtx.fillRect(x(e.decodedAtMs), row * rowHeight + 1, Math.max(1, x(next) - x(e.decodedAtMs)), rowHeight - 2);
    });
  });
}

setInterval(drawStrip, 1000);
connect();
