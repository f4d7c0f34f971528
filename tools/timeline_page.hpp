#ifndef SYNOD_TOOLS_TIMELINE_PAGE_HPP
#define SYNOD_TOOLS_TIMELINE_PAGE_HPP

// The fixed part of the page timeline_html.hpp writes: markup, style and script around the
// run's data (a <script id="timeline-data" type="application/json"> element between `head` and
// `tail`). The script draws the run into one SVG for the time window in view and redraws it on
// zoom and scroll, so a run of tens of thousands of messages stays responsive. When it is done
// it sets data-ready="1" on #render-status, with the number of lanes it drew and the number of
// script errors seen (window error events), which tools/html_check.sh reads from a headless
// browser.
//
// Each piece stays below 64 KiB, the longest string literal C++ compilers must accept.

#include <string_view>

namespace synod::tools::timeline_page {

inline constexpr std::string_view head = R"page(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>synod-sim timeline</title>
<script>
window.timelineErrors = 0;
window.addEventListener('error', function (e) {
  window.timelineErrors++;
  var s = document.getElementById('render-status');
  if (s) {
    s.setAttribute('data-errors', String(window.timelineErrors));
    s.setAttribute('data-last-error', String(e.message || e.type).slice(0, 300));
  }
});
window.addEventListener('unhandledrejection', function (e) {
  window.timelineErrors++;
  var s = document.getElementById('render-status');
  if (s) s.setAttribute('data-errors', String(window.timelineErrors));
});
</script>
<style>
:root {
  --ink: #1d2733; --muted: #5d6b7a; --line: #d5dce4; --bg: #f6f8fa; --panel: #ffffff;
  --bad: #c62828; --good: #2e7d32;
}
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: var(--bg); color: var(--ink);
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif; }
header { padding: 10px 16px 6px; background: var(--panel); border-bottom: 1px solid var(--line); }
h1 { font-size: 17px; margin: 0 0 2px; font-weight: 600; }
h1 .seed { color: var(--muted); font-weight: 400; }
#subtitle { color: var(--muted); font-size: 12px; }
#subtitle code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11.5px; }
#stats { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 6px; font-size: 12px; color: var(--muted); }
#stats b { color: var(--ink); font-weight: 600; }
.verdict { margin: 8px 0 2px; padding: 7px 12px; border-radius: 6px; font-size: 13.5px; }
.verdict.ok { background: #e8f5e9; border: 1px solid #a5d6a7; color: #1b5e20; }
.verdict.bad { background: #ffebee; border: 2px solid var(--bad); color: #8e0000; }
.verdict.bad .headline { font-weight: 700; font-size: 15px; }
.verdict .where { margin-top: 2px; }
.verdict button { margin-left: 8px; }
.verdict details { margin-top: 4px; }
.verdict pre { white-space: pre-wrap; margin: 4px 0 0; max-height: 220px; overflow: auto;
  background: #fff7f7; padding: 6px; border-radius: 4px; font-size: 11.5px; }
#toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; padding: 6px 16px;
  background: var(--panel); border-bottom: 1px solid var(--line); font-size: 12px; }
#toolbar .group { display: flex; align-items: center; gap: 4px; }
button { font: inherit; font-size: 12px; padding: 2px 9px; border: 1px solid #b8c2cc; border-radius: 4px;
  background: #fff; color: var(--ink); cursor: pointer; }
button:hover { background: #eef2f6; }
button.danger { border-color: var(--bad); color: var(--bad); }
#range, #cursor { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11.5px; color: var(--muted); }
#filters { display: flex; flex-wrap: wrap; gap: 2px 8px; }
#filters label { display: inline-flex; align-items: center; gap: 3px; cursor: pointer; white-space: nowrap; }
#filters .count { color: var(--muted); }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; vertical-align: -1px; }
#layout { display: flex; align-items: flex-start; gap: 0; }
#chart-box { flex: 1 1 auto; min-width: 0; background: var(--panel); }
#chart { display: block; width: 100%; user-select: none; cursor: crosshair; }
#chart.panning { cursor: grabbing; }
#hscroll { overflow-x: auto; overflow-y: hidden; height: 14px; margin-left: 132px; }
#hspacer { height: 1px; }
#legend { display: flex; flex-wrap: wrap; gap: 3px 14px; padding: 6px 16px 10px; font-size: 11.5px; color: var(--muted);
  border-top: 1px solid var(--line); }
#legend span { white-space: nowrap; }
#panel { flex: 0 0 300px; width: 300px; align-self: stretch; background: var(--panel); border-left: 1px solid var(--line);
  padding: 10px 12px; font-size: 12px; overflow-wrap: anywhere; }
#panel h2 { font-size: 13px; margin: 0 0 6px; }
#details .hint { color: var(--muted); }
#details table { border-collapse: collapse; width: 100%; }
#details td { padding: 2px 4px; border-bottom: 1px solid #eef1f4; vertical-align: top; }
#details td:first-child { color: var(--muted); white-space: nowrap; width: 40%; }
#details .title { font-weight: 600; font-size: 13px; margin-bottom: 4px; }
#details ul { margin: 2px 0; padding-left: 16px; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif; }
.lane-name { font-size: 13px; font-weight: 700; fill: var(--ink); }
.lane-name.fail-text { font-size: 13px; }
.lane-sub { font-size: 10.5px; fill: var(--muted); }
.lane-bad { fill: #ffebee; }
.axis-label { font-size: 10.5px; fill: var(--muted); }
.seg-text { font-size: 10.5px; pointer-events: none; }
.small { font-size: 9.5px; fill: #4a5866; pointer-events: none; }
.op-text { font-size: 10px; fill: #1d2733; pointer-events: none; }
.fault-text { font-size: 10px; fill: #8e2323; pointer-events: none; }
.fail-text { font-size: 11px; font-weight: 700; fill: var(--bad); paint-order: stroke; stroke: #ffffff;
  stroke-width: 3px; stroke-linejoin: round; }
.fail-label { font-size: 11px; font-weight: 700; fill: #ffffff; pointer-events: none; }
</style>
</head>
<body>
<div id="render-status" data-ready="0" data-errors="0" data-lanes="0" hidden></div>
<header>
  <h1 id="title">synod-sim timeline</h1>
  <div id="subtitle"></div>
  <div id="verdict" class="verdict"></div>
  <div id="stats"></div>
</header>
<div id="toolbar">
  <div class="group">
    <button id="fit" title="Whole run (0)">Fit</button>
    <button id="zoom-out" title="Zoom out (-)">&minus;</button>
    <button id="zoom-in" title="Zoom in (+)">+</button>
    <button id="left" title="Earlier (left arrow)">&larr;</button>
    <button id="right" title="Later (right arrow)">&rarr;</button>
    <button id="go-failure" class="danger" hidden>Go to failure</button>
  </div>
  <span id="range"></span>
  <span id="cursor"></span>
  <div id="filters"></div>
</div>
<div id="layout">
  <div id="chart-box">
    <svg id="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="timeline"></svg>
    <div id="hscroll"><div id="hspacer"></div></div>
    <div id="legend"></div>
  </div>
  <aside id="panel">
    <h2>Details</h2>
    <div id="details"><span class="hint">Click a message, a node lane, a client operation, a fault
      or the failure mark. Wheel: zoom; drag or shift+wheel: scroll.</span></div>
  </aside>
</div>
)page";

inline constexpr std::string_view tail = R"page(<script>
(function () {
'use strict';
var D = JSON.parse(document.getElementById('timeline-data').textContent);
var SVG = 'http://www.w3.org/2000/svg';
var status = document.getElementById('render-status');
var chart = document.getElementById('chart');

// ---- layout ------------------------------------------------------------------------------
var LABEL_W = 132, AXIS_H = 24, FAULT_H = 22, NODE_H = 64, NODE_GAP = 3, CLIENT_H = 22, SEP = 10;
var N = D.nodes, C = D.clients, END = Math.max(D.end, 1);
function nodeTop(n) { return AXIS_H + FAULT_H + 4 + (n - 1) * (NODE_H + NODE_GAP); }
function nodeMid(n) { return nodeTop(n) + NODE_H / 2 + 4; }
var CLIENTS_TOP = nodeTop(N + 1) + SEP;
function clientTop(c) { return CLIENTS_TOP + (c - 1) * CLIENT_H; }
var HEIGHT = CLIENTS_TOP + C * CLIENT_H + 6;

var ROLE_COLORS = { 'follower': '#dbe4ee', 'pre-candidate': '#fbe7b5', 'candidate': '#f5b94f',
                    'leader': '#3f9b4f', 'down': '#56606b' };
var ROLE_TEXT = { 'leader': '#ffffff', 'down': '#ffffff' };
var GROUPS = [
  ['election', '#8e44ad', 'votes, prepare/promise'],
  ['replicate', '#1f6fb4', 'entries'],
  ['ack', '#12967f', 'acknowledgements'],
  ['heartbeat', '#98a4b0', 'heartbeats'],
  ['snapshot', '#b8860b', 'snapshots'],
  ['read', '#6b8e23', 'reads']
];
var GROUP_COLOR = {};
GROUPS.forEach(function (g) { GROUP_COLOR[g[0]] = g[1]; });
var DROP_COLOR = '#d62728';
function groupOf(name) {
  if (/heartbeat/.test(name)) return 'heartbeat';
  if (/snapshot/.test(name)) return 'snapshot';
  if (/read_index/.test(name)) return 'read';
  if (/vote|prepare|promise|reject|timeout_now/.test(name)) return 'election';
  if (/response|accepted/.test(name)) return 'ack';
  return 'replicate';
}

// ---- the data, indexed -------------------------------------------------------------------
var types = D.types.map(function (t, i) {
  return { index: i, name: t[0], fields: t[1], group: groupOf(t[0]), count: 0, shown: true };
});
var arrows = [];  // {m, d (delivery index or -1), t0, t1, from, to, kind}
D.messages.forEach(function (m, i) {
  types[m[2]].count++;
  if (m[4]) {
    arrows.push({ m: i, d: -1, t0: m[3], t1: m[3], from: m[0], to: m[1], kind: 'lost' });
  } else if (m[5].length === 0) {
    arrows.push({ m: i, d: -1, t0: m[3], t1: END, from: m[0], to: m[1], kind: 'pending' });
  } else {
    m[5].forEach(function (d, k) {
      arrows.push({ m: i, d: k, t0: m[3], t1: d[0], from: m[0], to: m[1], kind: d[1] === 0 ? 'ok' : 'drop' });
    });
  }
});
var showDelivered = true, showDropped = true;
var failure = D.failure;
var stepsByOp = {};
D.steps.forEach(function (s) { (stepsByOp[s[2]] = stepsByOp[s[2]] || []).push(s); });
var failNodes = {};
if (failure) failure.nodes.forEach(function (n) { failNodes[n] = true; });
var failOps = {};
if (failure) failure.ops.forEach(function (o) { failOps[o] = true; });
// A history that is not linearizable names operations, not nodes: the node the failing
// operation last reached is the one that answered it.
var servedBy = 0;
if (failure && failure.deadline_op !== null) {
  (stepsByOp[failure.deadline_op] || []).forEach(function (s) { if (s[3] === 'request') servedBy = s[4]; });
  if (servedBy && !failure.nodes.length) failNodes[servedBy] = true;
}
function opName(i) { var o = D.ops[i]; return '#' + i + ' (client ' + o[0] + ' ' + o[2] + ')'; }
var opsByClient = [];
for (var c = 1; c <= C; c++) opsByClient[c] = [];
D.ops.forEach(function (o, i) { if (opsByClient[o[0]]) opsByClient[o[0]].push(i); });
var maxCommit = 1;
D.lanes.forEach(function (l) { l.commits.forEach(function (p) { if (p[1] > maxCommit) maxCommit = p[1]; }); });

// ---- view: the time window shown ----------------------------------------------------------
var view = { t0: 0, scale: 1 };  // scale: pixels per tick
var width = 800;
function plotW() { return Math.max(50, width - LABEL_W - 8); }
function X(t) { return LABEL_W + (t - view.t0) * view.scale; }
function T(x) { return view.t0 + (x - LABEL_W) / view.scale; }
function viewEnd() { return view.t0 + plotW() / view.scale; }
function clampView() {
  var minScale = plotW() / (END * 1.02), maxScale = 60;
  view.scale = Math.min(maxScale, Math.max(minScale, view.scale));
  var span = plotW() / view.scale;
  view.t0 = Math.max(-END * 0.01, Math.min(view.t0, END * 1.01 - span));
}
function setWindow(a, b) {
  a = Math.max(0, a); b = Math.min(END * 1.01, b);
  if (!(b > a)) { a = 0; b = END; }
  view.scale = plotW() / (b - a);
  view.t0 = a;
  clampView();
  schedule();
}
function fit() { setWindow(0, END); }
function zoomAt(factor, x) {
  var t = T(x);
  view.scale *= factor;
  clampView();
  view.t0 = t - (x - LABEL_W) / view.scale;
  clampView();
  schedule();
}
function pan(dx) { view.t0 += dx / view.scale; clampView(); schedule(); }

// ---- helpers ------------------------------------------------------------------------------
function el(name, attrs, text, parent) {
  var e = document.createElementNS(SVG, name);
  for (var k in attrs) {
    if (Object.prototype.hasOwnProperty.call(attrs, k) && attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]);
  }
  if (text !== undefined && text !== null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function fmtT(t) { return t + ' ms'; }
function fmtAxis(t, step) {
  if (step >= 1000) return (t / 1000) + ' s';
  if (step >= 100 && t >= 1000) return (t / 1000).toFixed(step >= 1000 ? 0 : 1) + ' s';
  return t + ' ms';
}
function r1(v) { return Math.round(v * 10) / 10; }
function stateAt(lane, t) {
  var s = null;
  for (var i = 0; i < lane.states.length && lane.states[i][0] <= t; i++) s = lane.states[i];
  return s;
}
function commitAt(lane, t) {
  var c = 0;
  for (var i = 0; i < lane.commits.length && lane.commits[i][0] <= t; i++) c = lane.commits[i][1];
  return c;
}
function roleLabel(role, term) {
  if (role === 'down') return 'down';
  return role + ' ' + (D.protocol === 'multipaxos' ? 'b' : 't') + term;
}
function cutOf(p, n) {
  var out = [], inn = [];
  p[3].forEach(function (b) { if (b[0] === n) out.push(b[1]); if (b[1] === n) inn.push(b[0]); });
  return { out: out, inn: inn };
}
// A node is on the minority side when those it can talk to both ways (itself included) are
// fewer than a majority: it cannot lead or commit. Only such lanes are hatched.
function minority(cut) {
  var lost = {};
  cut.out.forEach(function (b) { lost[b] = true; });
  cut.inn.forEach(function (b) { lost[b] = true; });
  return N - Object.keys(lost).length < Math.floor(N / 2) + 1;
}
function cutText(cut) {
  var o = cut.out.slice().sort().join(','), i = cut.inn.slice().sort().join(',');
  if (o && o === i) return 'cut off from n' + cut.out.sort().join(', n');
  var parts = [];
  if (i) parts.push('hears nothing from n' + cut.inn.sort().join(', n'));
  if (o) parts.push('cannot reach n' + cut.out.sort().join(', n'));
  return parts.join('; ');
}

// ---- the static parts: title, verdict, stats, filters, legend -----------------------------
function text(id, s) { document.getElementById(id).textContent = s; }
function setup() {
  var proto = D.protocol === 'multipaxos' ? 'Multi-Paxos' : 'Raft';
  document.title = 'synod-sim ' + D.protocol + ' seed ' + D.seed + (D.ok ? '' : ' FAILED');
  var h1 = document.getElementById('title');
  h1.textContent = proto + ', ' + N + ' nodes, faults: ' + D.faults + ' ';
  var seed = document.createElement('span');
  seed.className = 'seed';
  seed.textContent = '(seed ' + D.seed + ')';
  h1.appendChild(seed);
  var sub = document.getElementById('subtitle');
  sub.textContent = 'replay: ';
  var code = document.createElement('code');
  code.textContent = D.replay;
  sub.appendChild(code);
  if (D.note) sub.appendChild(document.createTextNode(' \u2014 ' + D.note));

  var v = document.getElementById('verdict');
  if (failure) {
    v.className = 'verdict bad';
    var lines = failure.text.split('\n');
    var head = document.createElement('div');
    head.className = 'headline';
    head.textContent = '\u2716 ' + lines[0];
    v.appendChild(head);
    var where = document.createElement('div');
    where.className = 'where';
    var nodes = failure.nodes.map(function (n) { return 'n' + n; }).join(', ');
    var said = 'first broken check at t = ' + fmtT(failure.time) + (nodes ? ', nodes ' + nodes : '');
    if (failure.deadline_op !== null) {
      said += '; operation ' + opName(failure.deadline_op) + ' cannot be linearized' +
        (servedBy ? ', answered by n' + servedBy : '');
      if (failure.ops.length > 1) said += ' (' + failure.ops.length + ' operations in the failing window, outlined in red)';
    }
    where.textContent = said;
    var go = document.createElement('button');
    go.textContent = 'Show';
    go.addEventListener('click', goFailure);
    where.appendChild(go);
    v.appendChild(where);
    var more = document.createElement('details');
    var summary = document.createElement('summary');
    summary.textContent = 'full report and the events before it';
    more.appendChild(summary);
    var pre = document.createElement('pre');
    pre.textContent = failure.text + '\n\nlast events before it:\n' + failure.last_events;
    more.appendChild(pre);
    v.appendChild(more);
    document.getElementById('go-failure').hidden = false;
  } else if (D.ok) {
    v.className = 'verdict ok';
    v.textContent = '\u2714 every invariant held after every event, and the clients\u2019 history is linearizable';
  } else {
    v.className = 'verdict bad';
    v.textContent = 'the run did not finish';
  }

  var st = document.getElementById('stats');
  var S = D.stats;
  [['virtual time', (END / 1000).toFixed(1) + ' s'], ['events', S.events], ['messages', S.messages],
   ['lost', S.dropped], ['elections', S.elections], ['crashes', S.crashes], ['partitions', S.partitions],
   ['commit index', S.committed], ['operations', S.ops_completed + ' done, ' + S.ops_open + ' open'],
   ['trace hash', S.trace_hash]].forEach(function (p) {
    var s = document.createElement('span');
    s.appendChild(document.createTextNode(p[0] + ' '));
    var b = document.createElement('b');
    b.textContent = String(p[1]);
    s.appendChild(b);
    st.appendChild(s);
  });

  var f = document.getElementById('filters');
  function box(label, color, count, checked, onchange) {
    var l = document.createElement('label');
    var i = document.createElement('input');
    i.type = 'checkbox';
    i.checked = checked;
    i.addEventListener('change', function () { onchange(i.checked); schedule(); });
    l.appendChild(i);
    var sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color;
    l.appendChild(sw);
    l.appendChild(document.createTextNode(' ' + label + ' '));
    if (count !== null) {
      var n = document.createElement('span');
      n.className = 'count';
      n.textContent = String(count);
      l.appendChild(n);
    }
    f.appendChild(l);
  }
  types.slice().sort(function (a, b) { return b.count - a.count; }).forEach(function (t) {
    box(t.name, GROUP_COLOR[t.group], t.count, true, function (on) { t.shown = on; });
  });
  box('delivered', '#5b6b7b', null, true, function (on) { showDelivered = on; });
  box('lost or dropped', DROP_COLOR, null, true, function (on) { showDropped = on; });

  var lg = document.getElementById('legend');
  function item(color, label, style) {
    var s = document.createElement('span');
    var sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color;
    if (style) sw.setAttribute('style', sw.getAttribute('style') + ';' + style);
    s.appendChild(sw);
    s.appendChild(document.createTextNode(' ' + label));
    lg.appendChild(s);
  }
  ['follower', 'pre-candidate', 'candidate', 'leader', 'down'].forEach(function (r) {
    if (D.protocol === 'multipaxos' && r === 'pre-candidate') return;
    item(ROLE_COLORS[r], r);
  });
  item('#f4c7c7', 'partitioned, minority side (hatched)');
  item('#c9ced4', 'paused');
  item('#3b6fb0', 'commit index (step line)', 'height:3px;vertical-align:3px');
  GROUPS.forEach(function (g) { item(g[1], g[2], 'height:3px;vertical-align:3px'); });
  item(DROP_COLOR, 'lost / dropped message (ends in \u00d7)', 'height:3px;vertical-align:3px');
  item('#c8e6c9', 'operation ok');
  item('#ffe0b2', 'operation failed (cas)');
  item('#ffcdd2', 'operation never returned');
}

// ---- drawing ------------------------------------------------------------------------------
var drawn = [];      // arrows drawn in view: [x0, y0, x1, y1, arrow]
var selected = null; // {kind, ...}
var hoverT = null;
var pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  window.requestAnimationFrame(function () { pending = false; render(); });
}

function arrowHead(d, x0, y0, x1, y1) {
  var dx = x1 - x0, dy = y1 - y0, len = Math.sqrt(dx * dx + dy * dy);
  if (len < 7) return d;
  var ux = dx / len, uy = dy / len, s = 5;
  return d + 'M' + r1(x1 - s * (ux * 0.9 - uy * 0.45)) + ' ' + r1(y1 - s * (uy * 0.9 + ux * 0.45)) +
    'L' + r1(x1) + ' ' + r1(y1) + 'L' + r1(x1 - s * (ux * 0.9 + uy * 0.45)) + ' ' + r1(y1 - s * (uy * 0.9 - ux * 0.45));
}
function cross(d, x, y) {
  var s = 3.5;
  return d + 'M' + r1(x - s) + ' ' + r1(y - s) + 'L' + r1(x + s) + ' ' + r1(y + s) +
    'M' + r1(x - s) + ' ' + r1(y + s) + 'L' + r1(x + s) + ' ' + r1(y - s);
}
function arrowGeometry(a) {
  var x0 = X(a.t0), y0 = nodeMid(a.from), y1 = nodeMid(a.to), x1;
  if (a.kind === 'lost' || a.kind === 'pending') {
    // Lost at once (or never delivered): a stub toward the receiver.
    x1 = x0 + Math.max(6, Math.min(36, 3 * view.scale));
    y1 = y0 + (y1 - y0) * 0.35;
  } else {
    x1 = X(a.t1);
  }
  return [x0, y0, x1, y1];
}

function render() {
  var renderStart = window.performance ? window.performance.now() : 0;
  // A new width (the window resized, a scroll bar came or went) keeps the time window.
  var span = plotW() / view.scale;
  width = chart.clientWidth || chart.parentNode.clientWidth || 1000;
  view.scale = plotW() / span;
  clampView();
  var t0 = view.t0, t1 = viewEnd();
  while (chart.firstChild) chart.removeChild(chart.firstChild);
  chart.setAttribute('height', HEIGHT);
  chart.setAttribute('viewBox', '0 0 ' + width + ' ' + HEIGHT);
  var defs = el('defs', {}, null, chart);
  var clip = el('clipPath', { id: 'plot-clip' }, null, defs);
  el('rect', { x: LABEL_W, y: 0, width: plotW() + 8, height: HEIGHT }, null, clip);
  var hatch = el('pattern', { id: 'hatch-cut', width: 6, height: 6, patternUnits: 'userSpaceOnUse',
                             patternTransform: 'rotate(45)' }, null, defs);
  el('rect', { width: 6, height: 6, fill: '#fbe3e3' }, null, hatch);
  el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#e6a1a1', 'stroke-width': 2 }, null, hatch);
  var hatchDown = el('pattern', { id: 'hatch-down', width: 6, height: 6, patternUnits: 'userSpaceOnUse',
                                 patternTransform: 'rotate(-45)' }, null, defs);
  el('rect', { width: 6, height: 6, fill: '#e9ecef' }, null, hatchDown);
  el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#c3c9cf', 'stroke-width': 2 }, null, hatchDown);

  // Lane backgrounds and the time grid.
  var bg = el('g', {}, null, chart);
  el('rect', { x: 0, y: AXIS_H, width: width, height: FAULT_H, fill: '#fafbfc' }, null, bg);
  for (var n = 1; n <= N; n++)
    el('rect', { x: 0, y: nodeTop(n), width: width, height: NODE_H, fill: n % 2 ? '#ffffff' : '#fbfcfd' }, null, bg);
  for (var c = 1; c <= C; c++)
    el('rect', { x: 0, y: clientTop(c), width: width, height: CLIENT_H, fill: c % 2 ? '#f7f9fb' : '#ffffff' }, null, bg);
  var plot = el('g', { 'clip-path': 'url(#plot-clip)' }, null, chart);
  var grid = el('g', {}, null, plot);
  var steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];
  var step = steps[steps.length - 1];
  for (var i = 0; i < steps.length; i++) if (steps[i] * view.scale >= 90) { step = steps[i]; break; }
  for (var g = Math.ceil(t0 / step) * step; g <= t1; g += step) {
    var gx = r1(X(g));
    el('line', { x1: gx, y1: AXIS_H - 5, x2: gx, y2: HEIGHT, stroke: '#edf0f3' }, null, grid);
    el('text', { x: gx + 3, y: AXIS_H - 8, 'class': 'axis-label' }, fmtAxis(g, step), grid);
  }
  el('line', { x1: 0, y1: AXIS_H, x2: width, y2: AXIS_H, stroke: '#d5dce4' }, null, chart);

  // Faults lane: partitions as bars; the end of faults.
  var faults = el('g', {}, null, plot);
  D.partitions.forEach(function (p, i) {
    if (p[1] < t0 || p[0] > t1) return;
    var x0 = X(p[0]), x1 = X(p[1]);
    el('rect', { x: r1(x0), y: AXIS_H + 3, width: r1(Math.max(2, x1 - x0)), height: FAULT_H - 6, rx: 3,
                 fill: '#f8d4d4', stroke: (selected && selected.kind === 'partition' && selected.i === i) ? '#e07a00' : '#e39a9a' }, null, faults);
    var room = Math.floor((Math.min(x1, width) - Math.max(x0, LABEL_W) - 8) / 5.4);
    var label = 'partition: ' + p[2];
    if (room < label.length) label = room >= 12 ? label.slice(0, room - 1) + '\u2026' : '';
    if (label)
      el('text', { x: r1(Math.max(x0, LABEL_W) + 4), y: AXIS_H + FAULT_H - 7, 'class': 'fault-text' }, label, faults);
  });
  D.crashes.forEach(function (k) {
    if (k[0] < t0 || k[0] > t1) return;
    var x = r1(X(k[0]));
    el('path', { d: 'M' + (x - 4) + ' ' + (AXIS_H + 6) + 'l8 8m0 -8l-8 8', stroke: '#56606b', 'stroke-width': 1.6 }, null, faults);
  });
  if (D.quiesced && D.quiesced >= t0 && D.quiesced <= t1) {
    var qx = r1(X(D.quiesced));
    el('line', { x1: qx, y1: AXIS_H, x2: qx, y2: HEIGHT, stroke: '#2e7d32', 'stroke-dasharray': '5 4' }, null, faults);
    var right = qx > LABEL_W + plotW() - 70;
    el('text', { x: right ? qx - 4 : qx + 4, y: AXIS_H + FAULT_H - 7, 'class': 'small', style: 'fill:#2e7d32',
                 'text-anchor': right ? 'end' : 'start' }, 'faults stop', faults);
  }

  // Node lanes: state bands, down and paused spans, partitions, the commit index.
  var lanes = el('g', {}, null, plot);
  for (n = 1; n <= N; n++) {
    var lane = D.lanes[n - 1], top = nodeTop(n);
    var states = lane.states;
    for (var s = 0; s < states.length; s++) {
      // The last state lasts to the end of the run, drawn a little past it to stay visible.
      var a = states[s][0], b = s + 1 < states.length ? states[s + 1][0] : END * 1.01 + 1;
      if (b < t0 || a > t1) continue;
      var xa = Math.max(X(a), LABEL_W - 2), xb = Math.min(X(b), width + 2);
      var role = states[s][1];
      var sel = selected && selected.kind === 'node' && selected.n === n && selected.s === s;
      if (role === 'down') {
        el('rect', { x: r1(xa), y: top + 1, width: r1(Math.max(1, xb - xa)), height: NODE_H - 2,
                     fill: 'url(#hatch-down)' }, null, lanes);
      }
      el('rect', { x: r1(xa), y: top + 3, width: r1(Math.max(1, xb - xa)), height: 15,
                   fill: ROLE_COLORS[role] || '#cccccc', stroke: sel ? '#e07a00' : 'none',
                   'stroke-width': sel ? 2 : 0 }, null, lanes);
      if (xb - xa > 58) {
        var label = roleLabel(role, states[s][2]);
        if (xb - xa < 7 * label.length) label = role === 'down' ? 'down' : (D.protocol === 'multipaxos' ? 'b' : 't') + states[s][2];
        el('text', { x: r1(xa + 4), y: top + 14, 'class': 'seg-text', fill: ROLE_TEXT[role] || '#24313d' }, label, lanes);
      } else if (xb - xa > 16 && role !== 'follower') {
        el('text', { x: r1(xa + 2), y: top + 14, 'class': 'seg-text', fill: ROLE_TEXT[role] || '#24313d' },
           (D.protocol === 'multipaxos' ? '' : '') + states[s][2], lanes);
      }
    }
    D.pauses.forEach(function (p) {
      if (p[0] !== n || p[2] < t0 || p[1] > t1) return;
      var x0 = X(p[1]), x1 = X(p[2]);
      el('rect', { x: r1(x0), y: top + 19, width: r1(Math.max(1.5, x1 - x0)), height: NODE_H - 21,
                   fill: '#c9ced4', 'fill-opacity': 0.55 }, null, lanes);
      if (x1 - x0 > 40) el('text', { x: r1(x0 + 3), y: top + 30, 'class': 'small' }, 'paused', lanes);
    });
    D.partitions.forEach(function (p) {
      if (p[1] < t0 || p[0] > t1) return;
      var cut = cutOf(p, n);
      if (!cut.out.length && !cut.inn.length) return;
      var x0 = X(p[0]), x1 = X(p[1]);
      if (!minority(cut)) return;
      el('rect', { x: r1(x0), y: top + 19, width: r1(Math.max(1.5, x1 - x0)), height: NODE_H - 21,
                   fill: 'url(#hatch-cut)', 'fill-opacity': 0.8 }, null, lanes);
      if (x1 - x0 > 120)
        el('text', { x: r1(Math.max(x0, LABEL_W) + 4), y: top + NODE_H - 4, 'class': 'fault-text' }, cutText(cut), lanes);
    });
    // The commit index: a step line in the lower part of the lane, scaled to the run's highest.
    var cy = function (v) { return r1(top + NODE_H - 5 - (NODE_H - 30) * v / maxCommit); };
    var commits = lane.commits, d = '', lastX = -1e9, labels = el('g', {}, null, lanes);
    var prev = 0, started = false;
    for (var k = 0; k < commits.length; k++) {
      var ct = commits[k][0], cv = commits[k][1];
      var nt = k + 1 < commits.length ? commits[k + 1][0] : END;
      if (nt < t0) { prev = cv; continue; }
      if (ct > t1) break;
      var x = r1(Math.max(X(ct), LABEL_W - 5));
      if (!started) { d += 'M' + x + ' ' + cy(prev); started = true; }
      d += 'H' + x + 'V' + cy(cv);
      if (X(ct) - lastX > 34 && X(ct) >= LABEL_W) {
        el('text', { x: r1(X(ct) + 2), y: cy(cv) - 3, 'class': 'small' }, String(cv), labels);
        lastX = X(ct);
      }
      prev = cv;
    }
    if (started) d += 'H' + r1(Math.min(X(END), width + 5));
    if (d) el('path', { d: d, fill: 'none', stroke: '#3b6fb0', 'stroke-width': 1.4, 'stroke-opacity': 0.8 }, null, lanes);
    D.crashes.forEach(function (k) {
      if (k[1] !== n || k[0] < t0 || k[0] > t1) return;
      var x = r1(X(k[0]));
      el('path', { d: 'M' + (x - 5) + ' ' + (top + 5) + 'l10 10m0 -10l-10 10', stroke: '#b71c1c', 'stroke-width': 2 }, null, lanes);
    });
  }

  // After the end of the run (a failing run stops at its failure).
  if (END < t1) {
    var ex = r1(X(END));
    el('rect', { x: ex, y: AXIS_H, width: r1(width - ex + 10), height: HEIGHT - AXIS_H, fill: '#eef1f4',
                 'fill-opacity': 0.75 }, null, plot);
    el('text', { x: ex + 4, y: HEIGHT - 4, 'class': 'small' }, 'end', plot);
  }

  // Messages: one path per colour, lost and dropped ones in red ending in a cross.
  drawn = [];
  var paths = {}, count = 0;
  for (var q = 0; q < arrows.length; q++) {
    var ar = arrows[q];
    if (ar.t0 > t1 || Math.max(ar.t1, ar.t0) < t0 - 1) continue;
    var ty = types[D.messages[ar.m][2]];
    if (!ty.shown) continue;
    var bad = ar.kind === 'lost' || ar.kind === 'drop';
    if (bad ? !showDropped : !showDelivered) continue;
    var geo = arrowGeometry(ar);
    var key = bad ? 'drop' : ar.kind === 'pending' ? 'pending' : ty.group;
    var p = paths[key] || '';
    p += 'M' + r1(geo[0]) + ' ' + r1(geo[1]) + 'L' + r1(geo[2]) + ' ' + r1(geo[3]);
    p = bad ? cross(p, geo[2], geo[3]) : ar.kind === 'pending' ? p : arrowHead(p, geo[0], geo[1], geo[2], geo[3]);
    paths[key] = p;
    drawn.push([geo[0], geo[1], geo[2], geo[3], ar]);
    count++;
  }
  var opacity = count > 3000 ? 0.22 : count > 1500 ? 0.4 : count > 800 ? 0.55 : 0.85;
  var msgs = el('g', { fill: 'none', 'stroke-linecap': 'round' }, null, plot);
  ['heartbeat', 'pending', 'ack', 'replicate', 'read', 'snapshot', 'election', 'drop'].forEach(function (key) {
    if (!paths[key]) return;
    var color = key === 'drop' ? DROP_COLOR : key === 'pending' ? '#9aa5b1' : GROUP_COLOR[key];
    // Heartbeats are most of the traffic and say least: fainter.
    var o = key === 'heartbeat' ? opacity * 0.6 : key === 'drop' && count <= 1500 ? Math.min(1, opacity + 0.1) : opacity;
    el('path', { d: paths[key], stroke: color, 'stroke-width': key === 'drop' ? 1.3 : 1.1,
                 'stroke-opacity': o,
                 'stroke-dasharray': key === 'pending' ? '3 3' : 'none' }, null, msgs);
  });

  // Client lanes: each operation from invocation to return; its steps as ticks.
  var ops = el('g', {}, null, plot), failMark = null;
  for (c = 1; c <= C; c++) {
    var ctop = clientTop(c);
    opsByClient[c].forEach(function (oi) {
      var o = D.ops[oi];
      var a = o[4], b = o[5] < 0 ? END : o[5];
      if (b < t0 || a > t1) return;
      var x0 = X(a), x1 = Math.max(X(b), x0 + 2);
      var fill = o[6] === 'ok' ? '#c8e6c9' : o[6] === 'fail' ? '#ffe0b2' : o[6] === 'open' ? '#ffcdd2' : '#e0e0e0';
      var edge = o[6] === 'ok' ? '#66bb6a' : o[6] === 'fail' ? '#fb8c00' : o[6] === 'open' ? '#e53935' : '#9e9e9e';
      var isSel = selected && selected.kind === 'op' && selected.i === oi;
      var inWindow = failOps[oi];
      el('rect', { x: r1(x0), y: ctop + 3, width: r1(x1 - x0), height: CLIENT_H - 6, rx: 2, fill: fill,
                   stroke: isSel ? '#e07a00' : inWindow ? '#c62828' : edge,
                   'stroke-width': isSel || inWindow ? 2.2 : 0.8,
                   'stroke-dasharray': o[6] === 'open' ? '4 2' : 'none' }, null, ops);
      if (failure && failure.deadline_op === oi) failMark = [x0, x1, ctop, oi];
      (stepsByOp[oi] || []).forEach(function (st) {
        if (st[0] < t0 || st[0] > t1 || st[3] === 'request') return;
        var sx = r1(X(st[0]));
        el('line', { x1: sx, y1: ctop + 2, x2: sx, y2: ctop + CLIENT_H - 2,
                     stroke: st[3] === 'timeout' ? '#c62828' : st[3] === 'redirect' ? '#ef6c00' : '#607d8b',
                     'stroke-width': 1.5 }, null, ops);
      });
      if (x1 - x0 > 50) {
        var label = o[2] + (o[3] === null ? '' : ' \u2192 ' + o[3]);
        var room = Math.floor((x1 - x0 - 6) / 5.6);
        if (label.length > room) label = label.slice(0, Math.max(1, room - 1)) + '\u2026';
        el('text', { x: r1(Math.max(x0, LABEL_W) + 3), y: ctop + CLIENT_H - 8, 'class': 'op-text' }, label, ops);
      }
    });
  }

  if (failMark) {  // the operation that cannot be linearized, over its neighbours
    var mx = r1(failMark[0] + (failMark[1] - failMark[0]) / 2);
    el('path', { d: 'M' + (mx - 6) + ' ' + (failMark[2] - 5) + 'h12l-6 8z', fill: '#c62828' }, null, plot);
    el('text', { x: r1(failMark[1] + 4), y: failMark[2] + CLIENT_H - 8, 'class': 'fail-text' }, '\u2716 #' + failMark[3], plot);
  }

  // The failure: a red line through every lane at its time.
  if (failure && failure.time >= t0 && failure.time <= t1) {
    var fx = r1(X(failure.time));
    el('line', { x1: fx, y1: AXIS_H, x2: fx, y2: HEIGHT, stroke: '#c62828', 'stroke-width': 2.5 }, null, plot);
    var ft = '\u2716 ' + failure.text.split('\n')[0].split(':')[0];
    var flag = el('g', {}, null, plot);
    var box = el('rect', { y: AXIS_H + 2, height: 17, rx: 3, fill: '#c62828' }, null, flag);
    var label = el('text', { y: AXIS_H + 14.5, 'class': 'fail-label' }, ft, flag);
    var fw = 8 + (label.getComputedTextLength ? label.getComputedTextLength() : ft.length * 7);
    var fl = fx + 3 + fw > width - 2 ? fx - 3 - fw : fx + 3;
    box.setAttribute('x', r1(fl));
    box.setAttribute('width', r1(fw));
    label.setAttribute('x', r1(fl + 4));
    Object.keys(failNodes).forEach(function (n) {
      el('rect', { x: fx - 7, y: nodeTop(+n) + 1, width: 14, height: NODE_H - 2, fill: 'none',
                   stroke: '#c62828', 'stroke-width': 2, rx: 3 }, null, plot);
    });
  }

  // The selection on top.
  if (selected && selected.kind === 'message') {
    var sd = '';
    drawn.forEach(function (w) {
      if (w[4].m === selected.m) sd += 'M' + r1(w[0]) + ' ' + r1(w[1]) + 'L' + r1(w[2]) + ' ' + r1(w[3]);
    });
    if (sd) el('path', { d: sd, stroke: '#e07a00', 'stroke-width': 3.2, fill: 'none', 'stroke-linecap': 'round' }, null, plot);
  }
  if (hoverT !== null && hoverT >= t0 && hoverT <= t1) {
    var hx = r1(X(hoverT));
    el('line', { x1: hx, y1: AXIS_H, x2: hx, y2: HEIGHT, stroke: '#1d2733', 'stroke-opacity': 0.25 }, null, plot);
  }

  // Lane labels, drawn last over a white column.
  var lab = el('g', {}, null, chart);
  el('rect', { x: 0, y: 0, width: LABEL_W, height: HEIGHT, fill: '#ffffff' }, null, lab);
  el('line', { x1: LABEL_W, y1: 0, x2: LABEL_W, y2: HEIGHT, stroke: '#d5dce4' }, null, lab);
  el('text', { x: 10, y: AXIS_H + FAULT_H - 7, 'class': 'lane-sub' }, 'faults', lab);
  var at = hoverT !== null ? hoverT : Math.min(t1, END);
  for (n = 1; n <= N; n++) {
    var top2 = nodeTop(n);
    if (failNodes[n]) el('rect', { x: 0, y: top2, width: LABEL_W, height: NODE_H, 'class': 'lane-bad' }, null, lab);
    el('text', { x: 10, y: top2 + 18, 'class': failNodes[n] ? 'lane-name fail-text' : 'lane-name',
                 'data-lane': 'n' + n }, 'n' + n, lab);
    var st2 = stateAt(D.lanes[n - 1], at);
    el('text', { x: 10, y: top2 + 34, 'class': 'lane-sub' }, st2 ? roleLabel(st2[1], st2[2]) : '', lab);
    el('text', { x: 10, y: top2 + 48, 'class': 'lane-sub' }, 'commit ' + commitAt(D.lanes[n - 1], at), lab);
    if (failNodes[n]) el('text', { x: 44, y: top2 + 18, 'class': 'fail-text' }, 'broken check', lab);
  }
  for (c = 1; c <= C; c++)
    el('text', { x: 10, y: clientTop(c) + CLIENT_H - 7, 'class': 'lane-sub', 'data-lane': 'c' + c }, 'client ' + c, lab);
  if (C > 0) el('line', { x1: 0, y1: CLIENTS_TOP - SEP / 2, x2: width, y2: CLIENTS_TOP - SEP / 2, stroke: '#d5dce4' }, null, chart);

  // The scroll bar and the readouts.
  var spacer = document.getElementById('hspacer');
  var hs = document.getElementById('hscroll');
  var total = END * 1.02 * view.scale;
  spacer.style.width = Math.round(Math.max(total, plotW())) + 'px';
  syncing = true;
  hs.scrollLeft = Math.max(0, view.t0 * view.scale);
  syncing = false;
  text('range', 'view ' + Math.max(0, Math.round(t0)) + '\u2013' + Math.round(Math.min(t1, END)) + ' ms, ' + count + ' messages');
  status.setAttribute('data-arrows', String(count));
  if (window.performance) status.setAttribute('data-render-ms', String(Math.round(window.performance.now() - renderStart)));
  updateHash();
}
var syncing = false;

// The address keeps the window and the selection, so a link or a reload shows the same.
function selectionName() {
  if (!selected) return '';
  if (selected.kind === 'message') return 'message' + selected.m;
  if (selected.kind === 'op') return 'op' + selected.i;
  if (selected.kind === 'partition') return 'partition' + selected.i;
  if (selected.kind === 'node') return 'n' + selected.n + '@' + Math.round(selected.t);
  if (selected.kind === 'failure') return 'failure';
  return '';
}
function updateHash() {
  var h = '#t=' + Math.max(0, Math.round(view.t0)) + '-' + Math.round(viewEnd());
  var sel = selectionName();
  if (sel) h += '&select=' + sel;
  if (h === window.location.hash) return;
  try { window.history.replaceState(null, '', h); } catch (e) { /* some browsers refuse for file: pages */ }
}

// ---- details ------------------------------------------------------------------------------
function show(title, rows, extra) {
  var box = document.getElementById('details');
  while (box.firstChild) box.removeChild(box.firstChild);
  var t = document.createElement('div');
  t.className = 'title';
  t.textContent = title;
  box.appendChild(t);
  var table = document.createElement('table');
  rows.forEach(function (r) {
    var tr = document.createElement('tr');
    var a = document.createElement('td'), b = document.createElement('td');
    a.textContent = r[0];
    b.textContent = String(r[1]);
    tr.appendChild(a);
    tr.appendChild(b);
    table.appendChild(tr);
  });
  box.appendChild(table);
  if (extra && extra[1].length) {
    var h = document.createElement('div');
    h.style.marginTop = '6px';
    h.textContent = extra[0];
    box.appendChild(h);
    var ul = document.createElement('ul');
    extra[1].forEach(function (line) {
      var li = document.createElement('li');
      li.textContent = line;
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }
}
function showMessage(i) {
  var m = D.messages[i], ty = types[m[2]];
  var rows = [['type', ty.name], ['from', 'n' + m[0]], ['to', 'n' + m[1]], ['sent at', fmtT(m[3])]];
  if (m[4]) rows.push(['fate', 'lost by the network']);
  else if (!m[5].length) rows.push(['fate', 'still in flight when the run ended']);
  m[5].forEach(function (d, k) {
    if (d[1] === 0) rows.push([k === 0 ? 'delivered at' : 'again at', fmtT(d[0]) + ' (after ' + (d[0] - m[3]) + ' ms)']);
    else rows.push(['dropped at', fmtT(d[0]) + ': ' + D.deliveries[d[1]]]);
  });
  ty.fields.forEach(function (f, k) { rows.push([f, m[6][k]]); });
  rows.push(['message #', i]);
  show(ty.name + '  n' + m[0] + ' \u2192 n' + m[1], rows);
}
function showNode(n, t) {
  var lane = D.lanes[n - 1], states = lane.states, s = -1;
  for (var i = 0; i < states.length && states[i][0] <= t; i++) s = i;
  if (s < 0) return;
  selected = { kind: 'node', n: n, s: s, t: t };
  var a = states[s][0], b = s + 1 < states.length ? states[s + 1][0] : END;
  var rows = [['state', states[s][1]], [D.protocol === 'multipaxos' ? 'ballot' : 'term', states[s][2]],
              ['leader known', states[s][3] ? 'n' + states[s][3] : 'none'], ['from', fmtT(a)], ['until', fmtT(b)],
              ['at', fmtT(Math.round(t))], ['commit index then', commitAt(lane, t)]];
  D.pauses.forEach(function (p) { if (p[0] === n && p[1] <= t && t <= p[2]) rows.push(['paused', fmtT(p[1]) + ' \u2013 ' + fmtT(p[2])]); });
  D.partitions.forEach(function (p) {
    if (p[0] <= t && t <= p[1]) {
      var cut = cutOf(p, n);
      if (cut.out.length || cut.inn.length) rows.push(['partition', cutText(cut) + ' (' + fmtT(p[0]) + ' \u2013 ' + fmtT(p[1]) + ')']);
    }
  });
  var crashes = [];
  D.crashes.forEach(function (k) { if (k[1] === n) crashes.push(fmtT(k[0]) + (k[2] ? ' ' + k[2].trim() : '') + (k[3] ? ', torn write' : '')); });
  if (crashes.length) rows.push(['crashes', crashes.length]);
  show('n' + n + ': ' + roleLabel(states[s][1], states[s][2]), rows, crashes.length ? ['crashes of n' + n + ':', crashes] : null);
}
function showOp(i) {
  var o = D.ops[i];
  var rows = [['client', 'c' + o[0]], ['operation', o[2]], ['result', o[3] === null ? '(never returned)' : o[3]],
              ['outcome', o[6]], ['invoked', fmtT(o[4])], ['returned', o[5] < 0 ? 'never' : fmtT(o[5])]];
  if (o[5] >= 0) rows.push(['took', (o[5] - o[4]) + ' ms']);
  if (failOps[i]) rows.push(['linearizability', failure.deadline_op === i ? 'cannot be placed: the failing operation' : 'in the failing window']);
  rows.push(['operation #', i]);
  var steps = (stepsByOp[i] || []).map(function (s) {
    return fmtT(s[0]) + ': ' + (s[3] === 'request' ? 'reached n' + s[4] : s[3] === 'redirect' ? 'redirected' + (s[4] ? ' to n' + s[4] : '') :
                                s[3] === 'retry' ? 'told to retry' : 'timed out at n' + s[4]);
  });
  show('c' + o[0] + ' ' + o[2], rows, steps.length ? ['what the client did:', steps] : null);
}
function showPartition(i) {
  var p = D.partitions[i];
  var lines = [];
  for (var n = 1; n <= N; n++) {
    var cut = cutOf(p, n);
    if (cut.out.length || cut.inn.length) lines.push('n' + n + ': ' + cutText(cut));
  }
  show('partition', [['what', p[2]], ['from', fmtT(p[0])], ['healed', fmtT(p[1])], ['lasted', (p[1] - p[0]) + ' ms'],
                     ['links cut', p[3].length]], ['per node:', lines]);
}
function showFailure() {
  var rows = [['at', fmtT(failure.time)], ['nodes', failure.nodes.map(function (n) { return 'n' + n; }).join(', ') || '\u2014']];
  if (failure.deadline_op !== null) {
    rows.push(['operation', opName(failure.deadline_op)]);
    if (servedBy) rows.push(['answered by', 'n' + servedBy]);
  }
  show('first broken check', rows.concat([['check', failure.text.split('\n')[0]]]),
       ['report:', failure.text.split('\n').slice(1).filter(function (l) { return l.trim(); })]);
}
function goFailure() {
  if (!failure) return;
  selected = { kind: 'failure' };
  showFailure();
  setWindow(failure.time - 1500, failure.time + 300);
}

function pick(x, y) {
  var t = T(x);
  if (failure && Math.abs(X(failure.time) - x) < 5 && y > AXIS_H) { selected = { kind: 'failure' }; showFailure(); return; }
  var best = null, bestD = 6;
  drawn.forEach(function (w) {
    var dx = w[2] - w[0], dy = w[3] - w[1], l2 = dx * dx + dy * dy;
    var u = l2 ? Math.max(0, Math.min(1, ((x - w[0]) * dx + (y - w[1]) * dy) / l2)) : 0;
    var px = w[0] + u * dx - x, py = w[1] + u * dy - y, d = Math.sqrt(px * px + py * py);
    if (d < bestD) { bestD = d; best = w; }
  });
  if (best) { selected = { kind: 'message', m: best[4].m }; showMessage(best[4].m); return; }
  if (y >= AXIS_H && y < AXIS_H + FAULT_H) {
    for (var i = 0; i < D.partitions.length; i++) {
      var p = D.partitions[i];
      if (p[0] <= t && t <= p[1]) { selected = { kind: 'partition', i: i }; showPartition(i); return; }
    }
    return;
  }
  for (var n = 1; n <= N; n++) if (y >= nodeTop(n) && y < nodeTop(n) + NODE_H) { showNode(n, t); return; }
  for (var c = 1; c <= C; c++) {
    if (y >= clientTop(c) && y < clientTop(c) + CLIENT_H) {
      var tol = 4 / view.scale;
      var found = -1;
      opsByClient[c].forEach(function (oi) {
        var o = D.ops[oi], b = o[5] < 0 ? END : o[5];
        if (o[4] - tol <= t && t <= b + tol) found = oi;
      });
      if (found >= 0) { selected = { kind: 'op', i: found }; showOp(found); }
      return;
    }
  }
}

// ---- input --------------------------------------------------------------------------------
function svgPoint(e) {
  var r = chart.getBoundingClientRect();
  return [e.clientX - r.left, e.clientY - r.top];
}
var drag = null;
chart.addEventListener('mousedown', function (e) {
  if (e.button !== 0) return;
  drag = { x: e.clientX, t0: view.t0, moved: false };
});
window.addEventListener('mousemove', function (e) {
  if (drag) {
    var dx = e.clientX - drag.x;
    if (Math.abs(dx) > 3) { drag.moved = true; chart.classList.add('panning'); }
    if (drag.moved) { view.t0 = drag.t0 - dx / view.scale; clampView(); schedule(); }
  }
});
window.addEventListener('mouseup', function (e) {
  if (!drag) return;
  var moved = drag.moved;
  drag = null;
  chart.classList.remove('panning');
  if (!moved && e.target && chart.contains(e.target)) {
    var p = svgPoint(e);
    if (p[0] > LABEL_W) { pick(p[0], p[1]); schedule(); }
  }
});
chart.addEventListener('mousemove', function (e) {
  var p = svgPoint(e);
  if (p[0] <= LABEL_W) { if (hoverT !== null) { hoverT = null; schedule(); } return; }
  hoverT = Math.round(T(p[0]));
  text('cursor', 't = ' + hoverT + ' ms');
  schedule();
});
chart.addEventListener('mouseleave', function () { hoverT = null; text('cursor', ''); schedule(); });
chart.addEventListener('wheel', function (e) {
  e.preventDefault();
  var p = svgPoint(e);
  if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
    pan(e.shiftKey ? e.deltaY : e.deltaX);
  } else {
    zoomAt(Math.exp(-e.deltaY * 0.0015), Math.max(p[0], LABEL_W));
  }
}, { passive: false });
document.getElementById('hscroll').addEventListener('scroll', function (e) {
  if (syncing) return;
  view.t0 = e.target.scrollLeft / view.scale;
  schedule();
});
function mid() { return LABEL_W + plotW() / 2; }
document.getElementById('fit').addEventListener('click', fit);
document.getElementById('zoom-in').addEventListener('click', function () { zoomAt(2, mid()); });
document.getElementById('zoom-out').addEventListener('click', function () { zoomAt(0.5, mid()); });
document.getElementById('left').addEventListener('click', function () { pan(-plotW() * 0.6); });
document.getElementById('right').addEventListener('click', function () { pan(plotW() * 0.6); });
document.getElementById('go-failure').addEventListener('click', goFailure);
window.addEventListener('keydown', function (e) {
  if (e.target && /INPUT|TEXTAREA/.test(e.target.tagName)) return;
  if (e.key === '+' || e.key === '=') zoomAt(2, mid());
  else if (e.key === '-') zoomAt(0.5, mid());
  else if (e.key === '0') fit();
  else if (e.key === 'ArrowLeft') pan(-plotW() * 0.3);
  else if (e.key === 'ArrowRight') pan(plotW() * 0.3);
});
window.addEventListener('resize', schedule);

// ---- start --------------------------------------------------------------------------------
setup();
chart.setAttribute('height', HEIGHT);
width = chart.clientWidth || 1000;
var startHash = window.location.hash;  // render() rewrites it
var hash = /[#&]t=(\d+)-(\d+)/.exec(startHash);
if (hash) {
  setWindow(+hash[1], +hash[2]);
} else if (failure) {
  selected = { kind: 'failure' };
  showFailure();
  setWindow(failure.time - 1500, failure.time + 300);
} else {
  fit();
}
// #select=message12 | op3 | partition0 | n2@1500 | failure: what the details panel shows.
var chosen = /[#&]select=(message|op|partition|n|failure)(\d*)(?:@(\d+))?/.exec(startHash);
if (chosen) {
  var which = +chosen[2];
  if (chosen[1] === 'message' && D.messages[which]) { selected = { kind: 'message', m: which }; showMessage(which); }
  if (chosen[1] === 'op' && D.ops[which]) { selected = { kind: 'op', i: which }; showOp(which); }
  if (chosen[1] === 'partition' && D.partitions[which]) { selected = { kind: 'partition', i: which }; showPartition(which); }
  if (chosen[1] === 'n' && which >= 1 && which <= N) showNode(which, +(chosen[3] || 0));
  if (chosen[1] === 'failure' && failure) { selected = { kind: 'failure' }; showFailure(); }
}
render();

// #selftest: click a message, a node lane and an operation the way a user would, and note in
// data-selftest what each click selected (tools/html_check.sh reads it).
function selfTest() {
  var box = chart.getBoundingClientRect(), results = [];
  function click(x, y) {
    var o = { clientX: box.left + x, clientY: box.top + y, button: 0, bubbles: true };
    chart.dispatchEvent(new MouseEvent('mousedown', o));
    chart.dispatchEvent(new MouseEvent('mouseup', o));
    var title = document.querySelector('#details .title');
    return selected ? selected.kind + (title && title.textContent ? '' : '-without-details') : 'nothing';
  }
  var w = drawn[Math.floor(drawn.length / 2)];
  if (w) results.push(click((w[0] + w[2]) / 2, (w[1] + w[3]) / 2));
  selected = null;
  results.push(click(LABEL_W + plotW() / 2, nodeTop(1) + 10));
  selected = null;
  for (var i = 0; i < D.ops.length; i++) {
    var o = D.ops[i], a = X(o[4]), b = X(o[5] < 0 ? END : o[5]);
    if (a > LABEL_W + 2 && b < width - 10) {
      results.push(click((a + b) / 2, clientTop(o[0]) + CLIENT_H / 2));
      break;
    }
  }
  status.setAttribute('data-selftest', results.join(' '));
}
if (/[#&]selftest/.test(startHash)) selfTest();
status.setAttribute('data-lanes', String(N));
status.setAttribute('data-node-lanes', String(N));
status.setAttribute('data-client-lanes', String(C));
status.setAttribute('data-messages', String(D.messages.length));
status.setAttribute('data-failure', failure ? '1' : '0');
status.setAttribute('data-failure-nodes', failure ? failure.nodes.join(',') : '');
status.setAttribute('data-errors', String(window.timelineErrors));
status.setAttribute('data-ready', '1');
})();
</script>
</body>
</html>
)page";

}  // namespace synod::tools::timeline_page

#endif
