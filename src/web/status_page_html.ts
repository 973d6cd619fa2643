/**
 * The status page: one HTML document with its CSS and script inline, no external asset, so it
 * works offline and through an SSH tunnel. The server embeds the current reading so the page
 * is complete before any script request; the script then polls `/api/page` every few seconds
 * and redraws. Every value goes in through `textContent` or an attribute, never as markup.
 */
import type { PageData } from "./page_data.ts";

/** How often the page asks for fresh data. */
export const PAGE_POLL_MS = 3000;

/** The page with `data` embedded (`null` before the first reading). */
export function statusPageHtml(data: PageData | null): string {
  // `<` escaped so no value can end the script element.
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>twitchtool</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>twitchtool</h1><span id="updated">no data yet</span></header>
<main>
<section><h2>Channels</h2><table id="channels"><thead><tr><th>channel</th><th>state</th><th>late</th></tr></thead><tbody></tbody></table><p class="note" id="lastcheck"></p></section>
<section class="wide"><h2>Recordings</h2><table id="recordings"><thead><tr><th>channel</th><th>slot</th><th>state</th><th>running</th><th>size</th><th>bitrate</th><th>parts</th></tr></thead><tbody></tbody></table></section>
<section><h2>Encoder</h2><div id="encoder"></div><div class="bar"><div id="encode-bar"></div></div><p id="encode-eta" class="note"></p><ul id="queue"></ul></section>
<section><h2>Uploads</h2><div id="uploads"></div><div class="bar"><div id="upload-bar"></div></div><p id="upload-note" class="note"></p></section>
<section><h2>Disk</h2><div class="bar"><div id="disk-bar"></div><div id="disk-min" class="mark"></div></div><p id="disk" class="note"></p></section>
<section class="wide"><h2>History</h2><svg id="history" xmlns="http://www.w3.org/2000/svg"></svg><table id="history-list"><thead><tr><th>file</th><th>started</th><th>duration</th><th>size</th></tr></thead><tbody></tbody></table></section>
</main>
<script id="initial" type="application/json">${json}</script>
<script>${SCRIPT.replaceAll("POLL_MS", String(PAGE_POLL_MS))}</script>
</body>
</html>
`;
}

const CSS = `
:root{--fg:#1d2330;--muted:#6a7282;--bg:#f5f6f8;--card:#fff;--accent:#6441a5;--ok:#2e8b57;--bad:#c0392b;--warn:#d68910}
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;align-items:baseline;gap:1em;padding:.6em 1em;background:var(--accent);color:#fff}
header h1{margin:0;font-size:1.2em}#updated{opacity:.85}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:1em;padding:1em}
section{background:var(--card);border-radius:6px;padding:.6em 1em;box-shadow:0 1px 2px #0002;overflow-x:auto}
section.wide{grid-column:1/-1}h2{font-size:1em;margin:.2em 0 .5em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.2em .5em;border-bottom:1px solid #e3e5ea;white-space:nowrap}
th{color:var(--muted);font-weight:600}.note{color:var(--muted);margin:.4em 0}
.state-recording,.state-capturing{color:var(--ok);font-weight:600}.state-live{color:var(--warn);font-weight:600}
.state-offline,.state-unknown{color:var(--muted)}.state-finalizing{color:var(--accent)}
.bar{position:relative;height:14px;background:#e3e5ea;border-radius:7px;overflow:hidden;margin:.3em 0}
.bar>div{height:100%;background:var(--accent)}.bar>.mark{position:absolute;top:0;width:2px;background:var(--bad)}
#disk-bar.low{background:var(--bad)}svg{width:100%;height:auto;display:block}
svg .bar-rect{fill:var(--accent)}svg .bar-live{fill:var(--ok);opacity:.7}svg .gap{stroke:var(--bad);stroke-dasharray:3 3}svg text{font:11px system-ui,sans-serif;fill:var(--fg)}
svg .axis{stroke:#c9ccd3}svg .tick{fill:var(--muted)}
`;

const SCRIPT = `
"use strict";
const token = new URLSearchParams(location.search).get("token");
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const node = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  for (const kid of kids) node.append(kid instanceof Node ? kid : String(kid));
  return node;
}
function bytes(n) {
  if (n === null || n === undefined) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]; let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return n.toFixed(u ? 1 : 0) + " " + units[u];
}
function dur(s) {
  if (s === null || s === undefined || !isFinite(s)) return "-";
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
  return h ? h + "h" + String(m).padStart(2, "0") + "m" : m ? m + "m" + String(r).padStart(2, "0") + "s" : r + "s";
}
// A recording uploaded and deleted here is named by where it arrived (its encode first).
const remoteOnly = (h) => "remote_original" in h;
const fileName = (h) => (h.path || h.compressed_path || h.remote_compressed || h.remote_original || "").split(/[/:]/).pop();
const clock = (iso) => iso ? new Date(iso).toLocaleTimeString() : "-";
function rows(id, list, make) { const body = $(id).tBodies[0]; body.replaceChildren(...list.map(make)); }
function render(d) {
  if (!d) return;
  const now = Date.parse(d.generated_at);
  const st = d.status;
  $("updated").textContent = "as of " + clock(d.generated_at);
  rows("channels", d.channels, (c) => el("tr", { "data-user": c.user },
    el("td", {}, c.user), el("td", { class: "state-" + c.state }, c.state),
    el("td", {}, c.late_seconds === null ? "-" : "+" + dur(c.late_seconds))));
  $("lastcheck").textContent = st.poller.running
    ? "Poller running" + (st.poller.detector ? " (" + st.poller.detector + ")" : "") + "; last check " +
      clock(st.poller.last_poll) + ", next " + clock(st.poller.next_poll) +
      (st.poller.last_error ? "; last cycle failed: " + st.poller.last_error : "") +
      (st.poller.config && !st.poller.config.in_force && st.poller.config.error
        ? "; config " + st.poller.config.path + " NOT in force (the last good one is used): " +
          st.poller.config.error.message
        : "")
    : "No poller running (states from the files only)";
  rows("recordings", st.recordings, (r) => {
    const x = d.details.find((k) => k.user === r.user && k.pid === r.pid) || {};
    return el("tr", { "data-user": r.user, "data-bytes": r.bytes },
      el("td", r.growing_file ? { title: "growing: " + r.growing_file } : {}, r.user),
      el("td", {}, r.slot === null ? "-" : r.slot),
      el("td", { class: "state-" + r.state }, r.state),
      el("td", {}, dur((now - Date.parse(r.started_at)) / 1000)),
      el("td", { class: "size" }, bytes(r.bytes)),
      el("td", {}, x.bytes_per_second == null ? "-" : (x.bytes_per_second * 8 / 1000).toFixed(0) + " kbit/s"),
      el("td", {}, x.parts ?? "-"));
  });
  const enc = st.encoder, job = enc.current_job;
  $("encoder").textContent = !enc.running ? "Encoder not running"
    : (enc.paused ? "Paused" : "Running") + (job ? ": " + job.input.split("/").pop() : ", idle");
  $("encoder").className = enc.paused ? "state-live" : "";
  const pct = job && job.percent !== null ? job.percent : 0;
  $("encode-bar").style.width = pct + "%";
  $("encode-bar").parentElement.setAttribute("data-percent", String(pct));
  $("encode-eta").textContent = job ? pct.toFixed(1) + " %" + (job.eta_seconds !== null ? ", about " + dur(job.eta_seconds) + " left" : "") + (job.speed ? " at " + job.speed + "x" : "") : "";
  const queue = st.queue.pending.map((j) => "pending: " + j.input.split("/").pop())
    .concat(st.queue.failed.map((j) => "failed: " + j.input.split("/").pop()));
  $("queue").replaceChildren(...queue.map((t) => el("li", {}, t)));
  const up = st.uploads, cur = up.current;
  $("uploads").closest("section").hidden = up.remote === null && up.pending_files === 0;
  $("uploads").textContent = up.remote === null ? "Uploads off"
    : up.state + ": " + up.pending_files + " file(s), " + bytes(up.pending_bytes) + " pending for " + up.remote;
  const upct = cur && cur.total ? 100 * cur.bytes / cur.total : 0;
  $("upload-bar").style.width = upct + "%";
  $("upload-bar").parentElement.setAttribute("data-percent", upct.toFixed(1));
  $("upload-note").textContent = (cur ? cur.local.split("/").pop() + ": " + upct.toFixed(1) + " % at " + bytes(cur.speed) + "/s" : "") +
    (up.error ? (cur ? "; " : "") + up.error : "");
  const disk = d.disk, free = disk.free_bytes;
  const scale = Math.max(free || 0, disk.min_free_bytes) * 1.25 || 1;
  $("disk-bar").style.width = (free === null ? 0 : 100 * free / scale) + "%";
  $("disk-bar").className = free !== null && free < disk.min_free_bytes ? "low" : "";
  $("disk-min").style.left = (100 * disk.min_free_bytes / scale) + "%";
  $("disk").textContent = bytes(free) + " free on " + disk.path + " (minimum " + bytes(disk.min_free_bytes) + ")";
  history(d.history, st.recordings, now);
  rows("history-list", d.history, (h) => el("tr", { "data-user": h.user, class: remoteOnly(h) ? "remote-only" : null },
    el("td", {}, fileName(h) + (remoteOnly(h) ? " (remote only)" : "")), el("td", {}, new Date(h.started_at).toLocaleString()),
    el("td", {}, dur(h.duration_seconds)), el("td", {}, bytes(h.bytes ?? h.compressed_bytes))));
}
function history(list, active, now) {
  const svg = $("history");
  const users = [...new Set(list.map((h) => h.user).concat(active.map((r) => r.user)))].sort();
  const row = 26, left = 110, width = 900, top = 8;
  const spans = list.map((h) => { const s = Date.parse(h.started_at); return { h, s, e: s + 1000 * (h.duration_seconds || 0) }; });
  const live = active.map((r) => ({ r, s: Date.parse(r.started_at), e: now }));
  const starts = spans.concat(live).map((x) => x.s);
  const t1 = Math.max(now, ...spans.map((x) => x.e));
  const first = starts.length ? Math.min(...starts) : t1 - 600e3;
  // At least ten minutes wide, with a margin before the first recording.
  const t0 = Math.min(first - (t1 - first) * 0.05, t1 - 600e3);
  const x = (t) => left + (width - left - 10) * (t - t0) / Math.max(1, t1 - t0);
  const height = top + row * Math.max(1, users.length) + 22;
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  const kids = [];
  if (!users.length) kids.push(el("svg:text", { x: 10, y: 22 }, "No finished recordings yet"));
  users.forEach((u, i) => {
    const y = top + i * row;
    kids.push(el("svg:text", { x: 4, y: y + 16 }, u));
    kids.push(el("svg:line", { class: "axis", x1: left, x2: width - 10, y1: y + row - 3, y2: y + row - 3 }));
    const mine = spans.filter((s) => s.h.user === u).sort((a, b) => a.s - b.s);
    mine.forEach((s, j) => {
      const file = fileName(s.h) + (remoteOnly(s.h) ? " (remote only)" : "");
      const rect = el("svg:rect", { class: "bar-rect", "data-user": u, "data-file": file, x: x(s.s), y: y + 4, width: Math.max(3, x(s.e) - x(s.s)), height: row - 10, rx: 2 });
      rect.append(el("svg:title", {}, file + ", " + dur(s.h.duration_seconds) + ", " + bytes(s.h.bytes ?? s.h.compressed_bytes)));
      kids.push(rect);
      const next = mine[j + 1];
      if (next && next.s > s.e) {
        const gap = el("svg:line", { class: "gap", "data-user": u, x1: x(s.e), x2: x(next.s), y1: y + row / 2, y2: y + row / 2 });
        gap.append(el("svg:title", {}, "gap of " + dur((next.s - s.e) / 1000)));
        kids.push(gap);
      }
    });
    for (const l of live.filter((l) => l.r.user === u)) {
      const rect = el("svg:rect", { class: "bar-live", "data-user": u, x: x(l.s), y: y + 4, width: Math.max(3, x(l.e) - x(l.s)), height: row - 10, rx: 2 });
      rect.append(el("svg:title", {}, "recording now, " + l.r.state + ", " + bytes(l.r.bytes)));
      kids.push(rect);
    }
  });
  const y = top + row * Math.max(1, users.length) + 14;
  for (let k = 0; k <= 4; k++) {
    const t = t0 + (t1 - t0) * k / 4;
    kids.push(el("svg:text", { class: "tick", x: x(t) - (k === 4 ? 60 : k ? 30 : 0), y }, new Date(t).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })));
  }
  svg.replaceChildren(...kids);
}
render(JSON.parse($("initial").textContent));
async function poll() {
  try {
    const res = await fetch("api/page" + (token ? "?token=" + encodeURIComponent(token) : ""), { cache: "no-store" });
    if (res.ok) render(await res.json());
    else $("updated").textContent = "server answered " + res.status;
  } catch (e) { $("updated").textContent = "cannot reach the server"; }
  setTimeout(poll, POLL_MS);
}
setTimeout(poll, POLL_MS);
`;
