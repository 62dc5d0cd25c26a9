// The rovlens review page: plain browser JavaScript, no framework. Talks to the review server's JSON
// API (src/review/server.ts). Every decision is saved by the server before the page moves on, so
// closing the tab or stopping the server loses nothing.
const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('token');
const headers = token ? { Authorization: `Bearer ${token}` } : {};

const state = {
  heads: {}, // head -> labels in the card's order
  items: [], // the queue, in review order
  index: 0,
  selection: {}, // head -> label, or null for unsure
  focusedHead: null,
  box: null, // {x0, y0, x1, y1}, normalised to the whole frame
  heat: false,
  canUndo: false,
  busy: false,
};

async function api(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const value = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(value.error ?? `HTTP ${response.status}`);
  return value;
}

const pictureUrl = (item, heat) => {
  const q = new URLSearchParams({ group: item.group, heat: heat ? '1' : '0' });
  if (token) q.set('token', token);
  return `/api/picture?${q}`;
};

const timecode = (s) => {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = (s % 60).toFixed(3).padStart(6, '0');
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${sec}`;
};
const percent = (n, d) => (d ? `${Math.round((100 * n) / d)} %` : '-');
const current = () => state.items[state.index];

function message(text) {
  $('message').textContent = text;
}

function select(item) {
  state.selection = {};
  for (const head of Object.keys(state.heads)) {
    const decided = item.decision?.labels?.[head];
    state.selection[head] = decided !== undefined ? decided : (item.predictions[head]?.label ?? null);
  }
  state.box = item.decision?.box ?? null;
  if (!state.focusedHead || !state.heads[state.focusedHead]) state.focusedHead = Object.keys(state.heads).at(-1) ?? null;
}

function renderProgress(progress) {
  $('progress').textContent = `${progress.groupsReviewed} / ${progress.groups} groups reviewed`;
  $('frames-covered').textContent = `${progress.framesCovered} / ${progress.frames} frames covered`;
  const table = $('agreement');
  table.replaceChildren();
  for (const [head, p] of Object.entries(progress.heads)) {
    const summary = document.createElement('p');
    summary.className = 'agreement-summary';
    summary.dataset.head = head;
    summary.textContent = `${head}: ${percent(p.agreed, p.labelled)} of ${p.labelled} labelled frames`;
    const t = document.createElement('table');
    t.dataset.head = head;
    for (const [label, c] of Object.entries(p.perClass).sort((a, b) => b[1].frames - a[1].frames)) {
      const row = t.insertRow();
      row.dataset.label = label;
      row.insertCell().textContent = label;
      row.insertCell().textContent = percent(c.agreed, c.frames);
      row.insertCell().textContent = `${c.agreed} / ${c.frames}`;
    }
    table.append(summary, t);
  }
  $('undo').disabled = !state.canUndo;
}

function renderBox() {
  const el = $('box');
  if (!state.box) {
    el.hidden = true;
    return;
  }
  const img = $('frame');
  el.hidden = false;
  el.style.left = `${state.box.x0 * img.clientWidth}px`;
  el.style.top = `${state.box.y0 * img.clientHeight}px`;
  el.style.width = `${(state.box.x1 - state.box.x0) * img.clientWidth}px`;
  el.style.height = `${(state.box.y1 - state.box.y0) * img.clientHeight}px`;
}

function render() {
  const item = current();
  if (!item) {
    $('group-title').textContent = 'nothing to review';
    return;
  }
  $('frame').src = pictureUrl(item, state.heat);
  $('show-heatmap').checked = state.heat;
  $('group-title').textContent = `group ${item.group}`;
  $('group-title').className = item.decision ? 'decided' : '';
  $('group-size').textContent = `labels ${item.size} frame${item.size === 1 ? '' : 's'}${item.decision ? ' (reviewed)' : ''}`;
  $('where').textContent = item.ptsSeconds !== undefined ? `${item.source} at ${timecode(item.ptsSeconds)}` : item.source;
  $('position').textContent = `${state.index + 1} of ${state.items.length}`;
  const heads = $('heads');
  heads.replaceChildren();
  for (const [head, labels] of Object.entries(state.heads)) {
    const box = document.createElement('div');
    box.className = `head${state.focusedHead === head ? ' focused' : ''}`;
    box.dataset.head = head;
    const p = item.predictions[head];
    const title = document.createElement('h3');
    title.textContent = p
      ? `${head}: model says ${p.label} (${Math.round(100 * p.confidence)} %${p.agreement < 1 ? `, ${Math.round(100 * p.agreement)} % of the group agree` : ''})`
      : head;
    box.append(title);
    const row = document.createElement('div');
    row.className = 'labels';
    labels.forEach((label, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.head = head;
      b.dataset.label = label;
      b.textContent = `${i + 1} ${label}`;
      if (state.selection[head] === label) b.classList.add('selected');
      if (p?.label === label) b.classList.add('predicted');
      b.addEventListener('click', () => {
        state.selection[head] = label;
        state.focusedHead = head;
        render();
      });
      row.append(b);
    });
    const unsure = document.createElement('button');
    unsure.type = 'button';
    unsure.dataset.head = head;
    unsure.dataset.label = '';
    unsure.textContent = '0 unsure';
    if (state.selection[head] === null) unsure.classList.add('selected');
    unsure.addEventListener('click', () => {
      state.selection[head] = null;
      state.focusedHead = head;
      render();
    });
    row.append(unsure);
    box.append(row);
    heads.append(box);
  }
  renderBox();
  // The next group's picture loads while this one is looked at.
  const next = state.items[state.index + 1];
  if (next) new Image().src = pictureUrl(next, state.heat);
}

function show(index) {
  state.index = Math.max(0, Math.min(state.items.length - 1, index));
  select(current());
  render();
}

/** The next group not reviewed yet after the current one (wrapping), or the current one when all are. */
function nextOpen() {
  const n = state.items.length;
  for (let step = 1; step <= n; step++) {
    const i = (state.index + step) % n;
    if (!state.items[i].decision) return i;
  }
  return -1;
}

async function decide(labels) {
  const item = current();
  if (!item || state.busy) return;
  state.busy = true;
  try {
    const decision = { group: item.group, labels, ...(state.box ? { box: state.box } : {}) };
    const result = await api('/api/decision', decision);
    item.decision = decision;
    state.canUndo = result.canUndo;
    renderProgress(result.progress);
    $('saved').textContent = `saved group ${item.group}: labels ${result.frames} frame${result.frames === 1 ? '' : 's'}`;
    message('');
    const next = nextOpen();
    if (next < 0) {
      message('every group is reviewed: stop the server (Ctrl-C) when done, or go back to change a decision');
      render();
    } else show(next);
  } catch (error) {
    message(`not saved: ${error.message}`);
  } finally {
    state.busy = false;
  }
}

async function undo() {
  if (state.busy) return;
  state.busy = true;
  try {
    const result = await api('/api/undo', {});
    state.canUndo = result.canUndo;
    renderProgress(result.progress);
    if (result.group === null) {
      message('nothing to undo');
      return;
    }
    const index = state.items.findIndex((i) => i.group === result.group);
    state.items[index].decision = result.decision;
    $('saved').textContent = `undid group ${result.group}`;
    show(index);
  } catch (error) {
    message(`undo failed: ${error.message}`);
  } finally {
    state.busy = false;
  }
}

function moveFocus(step) {
  const heads = Object.keys(state.heads);
  const i = heads.indexOf(state.focusedHead);
  state.focusedHead = heads[Math.max(0, Math.min(heads.length - 1, i + step))];
  render();
}

document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || !current()) return;
  const key = event.key;
  const labels = state.heads[state.focusedHead] ?? [];
  let handled = true;
  if (key === 'Enter') void decide({ ...state.selection });
  else if (key === 'ArrowRight') show(state.index + 1);
  else if (key === 'ArrowLeft') show(state.index - 1);
  else if (key === 'ArrowUp') moveFocus(-1);
  else if (key === 'ArrowDown') moveFocus(1);
  else if (/^[1-9]$/.test(key) && Number(key) <= labels.length) {
    state.selection[state.focusedHead] = labels[Number(key) - 1];
    render();
  } else if (key === '0') {
    state.selection[state.focusedHead] = null;
    render();
  } else if (key === 's' || key === 'S') void decide(Object.fromEntries(Object.keys(state.heads).map((h) => [h, null])));
  else if (key === 'u' || key === 'U' || key === 'Backspace') void undo();
  else if (key === 'h' || key === 'H') {
    state.heat = !state.heat;
    render();
  } else if (key === 'x' || key === 'X') {
    state.box = null;
    renderBox();
  } else handled = false;
  if (handled) event.preventDefault();
});

$('save').addEventListener('click', () => void decide({ ...state.selection }));
$('skip').addEventListener('click', () => void decide(Object.fromEntries(Object.keys(state.heads).map((h) => [h, null]))));
$('undo').addEventListener('click', () => void undo());
$('prev').addEventListener('click', () => show(state.index - 1));
$('next').addEventListener('click', () => show(state.index + 1));
$('show-heatmap').addEventListener('change', (event) => {
  state.heat = event.target.checked;
  render();
});
// Buttons keep no focus, so Enter always means "save", never "press the button clicked last".
document.addEventListener('click', (event) => event.target instanceof HTMLButtonElement && event.target.blur());

// A rough box: drag on the picture. Normalised to the whole frame (the picture shows all of it).
let dragFrom = null;
const stage = $('stage');
const pointAt = (event) => {
  const r = $('frame').getBoundingClientRect();
  return {
    x: Math.min(1, Math.max(0, (event.clientX - r.left) / r.width)),
    y: Math.min(1, Math.max(0, (event.clientY - r.top) / r.height)),
  };
};
stage.addEventListener('pointerdown', (event) => {
  dragFrom = pointAt(event);
  stage.setPointerCapture(event.pointerId);
});
stage.addEventListener('pointermove', (event) => {
  if (!dragFrom) return;
  const to = pointAt(event);
  state.box = {
    x0: Math.min(dragFrom.x, to.x),
    y0: Math.min(dragFrom.y, to.y),
    x1: Math.max(dragFrom.x, to.x),
    y1: Math.max(dragFrom.y, to.y),
  };
  renderBox();
});
stage.addEventListener('pointerup', () => {
  dragFrom = null;
  // A click is not a box.
  if (state.box && (state.box.x1 - state.box.x0 < 0.01 || state.box.y1 - state.box.y0 < 0.01)) state.box = null;
  renderBox();
});
$('frame').addEventListener('load', renderBox);
window.addEventListener('resize', renderBox);

try {
  const initial = await api('/api/state');
  state.heads = initial.model.heads;
  state.items = initial.items;
  state.canUndo = initial.canUndo;
  document.title = `rovlens review: ${initial.manifest}`;
  renderProgress(initial.progress);
  if (!state.items.length) message('no groups to review');
  else {
    show(Math.min(initial.start, state.items.length - 1));
    if (initial.start >= state.items.length) message('every group is reviewed already');
  }
  document.body.dataset.ready = 'true';
} catch (error) {
  message(`cannot load the review: ${error.message}`);
}
