// The explorer page's script (minigrad/tools/explorer.py writes it inline into each page).
// It only reveals gradients and highlights: the layout is fixed in Python.
(function () {
"use strict";
const fmt = (x) => {
  if (x === null || x === undefined) return "none";
  if (typeof x !== "number") return String(x);
  if (!isFinite(x)) return String(x);
  const t = Number(x.toPrecision(4)).toString();
  return t === "-0" ? "0" : t;
};
const flat = (x) => (Array.isArray(x) ? x.flat(Infinity) : [x]);
// A node's values as minigrad/tools/picture.py's summary writes them: up to TINY numbers in
// full (nested as the array is), else their mean, min and max.
const TINY = 6;
const inline = (x) => (Array.isArray(x) ? "[" + x.map(inline).join(", ") + "]" : fmt(x));
const summary = (x) => {
  if (!Array.isArray(x)) return fmt(x);
  const v = flat(x);
  if (v.length <= TINY) return inline(x);
  let s = 0, lo = Infinity, hi = -Infinity;
  for (const e of v) { s += e; lo = Math.min(lo, e); hi = Math.max(hi, e); }
  return "mean " + fmt(s / v.length) + ", min " + fmt(lo) + ", max " + fmt(hi);
};
const full = (x, limit) => {
  if (!Array.isArray(x)) return fmt(x);
  const v = flat(x);
  const rows = [];
  const show = (a, depth) => Array.isArray(a)
    ? "[" + a.map((e) => show(e, depth + 1)).join(Array.isArray(a[0]) ? ",\n" + " ".repeat(depth + 1) : ", ") + "]"
    : fmt(a);
  if (v.length <= limit) return show(x, 0);
  rows.push(summary(x) + " (" + v.length + " values; the first " + limit + ":)");
  rows.push(v.slice(0, limit).map(fmt).join(", ") + ", ...");
  return rows.join("\n");
};
const el = (tag, attrs, text) => {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
};
const clip = (t, n) => (t.length <= n ? t : t.slice(0, n - 1) + "\u2026");

const BOX_W = __BOX_W__;
const explorers = [];
let active = null;

function Explorer(section) {
  const D = JSON.parse(section.querySelector('script[type="application/json"]').textContent);
  const N = D.op.length, S = D.steps.length;
  const svg = section.querySelector("svg");
  const canvas = section.querySelector(".mg-canvas");
  const panel = section.querySelector(".mg-panel");
  const status = section.querySelector(".mg-status");
  const nodeEl = new Map(), groupEl = new Map(), edgeEl = new Map();
  svg.querySelectorAll("[data-node]").forEach((g) => nodeEl.set(+g.dataset.node, g));
  svg.querySelectorAll("[data-group]").forEach((g) => groupEl.set(+g.dataset.group, g));
  svg.querySelectorAll("[data-edge]").forEach((p) => edgeEl.set(p.dataset.edge, p));
  const stepOf = new Int32Array(N).fill(-1);
  D.steps.forEach((n, k) => { stepOf[n] = k; });
  const uses = Array.from({ length: N }, () => []);  // uses[p]: [child, k] with prev[k] == p
  D.prev.forEach((ps, c) => ps.forEach((p, k) => uses[p].push([c, k])));
  const groupDone = new Map();
  for (const k in D.groups) groupDone.set(+k, 0);
  const groupSize = (k) => D.groups[k].members.filter((i) => stepOf[i] >= 0).length;
  groupEl.forEach((g, k) => { g.querySelector(".mg-grad").textContent = "grads 0/" + groupSize(k); });
  let shown = 0, selected = null, selectedGroup = null, carried = [], currentEl = null;

  const term = (c, k) => {
    if (D.term[c] && D.term[c][k] !== null) return D.term[c][k];
    return D.local[c][k] * D.grad[c];
  };
  const gradText = (i) => "grad " + summary(D.grad[i]);
  function setNode(i, on) {
    const g = nodeEl.get(i);
    if (g) {
      g.classList.toggle("mg-done", on);
      g.querySelector(".mg-grad").textContent = on ? clip(gradText(i), 25) : "grad ?";
      if (on) g.setAttribute("data-grad", JSON.stringify(D.grad[i]));
      else g.removeAttribute("data-grad");
    } else {
      const k = D.itemOf[i];
      const n = groupDone.get(k) + (on ? 1 : -1);
      groupDone.set(k, n);
      const ge = groupEl.get(k), total = groupSize(k);
      ge.classList.toggle("mg-done", n === total);
      // all revealed: the gradient of the group's output node, as a lone node shows it
      ge.querySelector(".mg-grad").textContent = n === total
        ? clip("grad " + summary(D.grad[D.groups[k].out]), 25)
        : "grads " + n + "/" + total;
      ge.querySelector(".mg-bar").setAttribute("width", ((BOX_W - 2) * n / total).toFixed(1));
    }
  }
  function elOf(i) { return nodeEl.get(i) || groupEl.get(D.itemOf[i]); }
  function highlight() {
    carried.forEach((p) => p.classList.remove("carry"));
    carried = [];
    if (currentEl) currentEl.classList.remove("mg-current");
    currentEl = null;
    if (shown === 0) return;
    const i = D.steps[shown - 1];
    currentEl = elOf(i);
    currentEl.classList.add("mg-current");
    follow(currentEl);
    for (const [c] of uses[i]) {
      const p = edgeEl.get(D.itemOf[i] + "-" + D.itemOf[c]);
      if (p) { p.classList.add("carry"); carried.push(p); }
    }
  }
  function describe(i) {
    const box = el("div");
    const name = "#" + i + " " + (D.op[i] || "leaf") + (D.label[i] ? " " + D.label[i] : "");
    box.append(el("h3", {}, name));
    const info = el("table");
    const row = (k, v) => { const tr = el("tr"); tr.append(el("th", {}, k), el("td", {}, v)); info.append(tr); };
    if (D.shape[i]) row("shape", D.shape[i].length ? D.shape[i].join(" x ") : "0-d");
    row("parents", D.prev[i].length ? D.prev[i].map((p) => "#" + p + " " + (D.op[p] || "leaf")).join(", ") : "none (a leaf)");
    box.append(info);
    if (Array.isArray(D.data[i])) box.append(el("div", { class: "mg-muted" }, "data"), el("pre", {}, full(D.data[i], 400)));
    else row("data", fmt(D.data[i]));
    const k = stepOf[i];
    if (k < 0) { box.append(el("p", { class: "mg-muted" }, "backward gives this node no gradient.")); return box; }
    if (k >= shown) { box.append(el("p", { class: "mg-muted" }, "gradient not revealed yet: it is step " + (k + 1) + " of " + S + ".")); return box; }
    const f = el("div", { class: "mg-formula" });
    if (uses[i].length === 0) {
      f.append(el("div", {}, "grad = 1: d out / d out, where backward starts."));
    } else {
      f.append(el("div", {}, "grad = \u03a3 local \u00d7 upstream, one term per use:"));
      const t = el("table");
      for (const [c, kk] of uses[i]) {
        const tr = el("tr");
        const via = "from #" + c + " " + D.op[c];
        const loc = D.local[c] && D.local[c][kk] !== null && D.local[c][kk] !== undefined;
        const expr = loc
          ? fmt(D.local[c][kk]) + " \u00d7 " + fmt(D.grad[c]) + " = " + fmt(term(c, kk))
          : D.op[c] + "'s backward(" + summary(D.grad[c]) + ") = " + summary(term(c, kk));
        tr.append(el("td", {}, via), el("td", {}, expr));
        t.append(tr);
      }
      f.append(t);
    }
    if (Array.isArray(D.grad[i])) f.append(el("div", {}, "grad ="), el("pre", {}, full(D.grad[i], 400)));
    else f.append(el("div", { class: "mg-sum" }, "grad = " + (uses[i].length > 1 ? "sum of the terms = " : "") + fmt(D.grad[i])));
    box.append(f);
    return box;
  }
  function describeGroup(k) {
    const G = D.groups[k];
    const box = el("div");
    box.append(el("h3", {}, "group of " + G.members.length + " nodes, ending in #" + G.out + " " + D.op[G.out]));
    box.append(el("p", { class: "mg-muted" }, "Its nodes, in creation order; click a row for its sum."));
    const t = el("table");
    const head = el("tr");
    ["#", "op", "data", "grad"].forEach((h) => head.append(el("th", {}, h)));
    t.append(head);
    const cur = shown ? D.steps[shown - 1] : -1;
    for (const i of G.members) {
      const on = stepOf[i] >= 0 && stepOf[i] < shown;
      const tr = el("tr", { "data-node": String(i) });
      if (on) tr.setAttribute("data-grad", JSON.stringify(D.grad[i]));
      if (i === cur) tr.className = "mg-current";
      tr.append(el("td", {}, String(i)), el("td", {}, (D.op[i] || "leaf") + (D.label[i] ? " " + D.label[i] : "")),
        el("td", {}, summary(D.data[i])), el("td", {}, on ? summary(D.grad[i]) : "?"));
      tr.addEventListener("click", () => { selected = i; selectedGroup = null; update(); });
      tr.style.cursor = "pointer";
      t.append(tr);
    }
    const wrap = el("div", { class: "mg-table" });
    wrap.append(t);
    box.append(wrap);
    return box;
  }
  function centreRow() {
    const wrap = panel.querySelector(".mg-table"), tr = panel.querySelector("tr.mg-current");
    if (wrap && tr) wrap.scrollTop = tr.offsetTop - wrap.clientHeight / 2;
  }
  function update() {
    highlight();
    const cur = shown ? D.steps[shown - 1] : null;
    status.textContent = "step " + shown + " of " + S + (cur === null ? "" : ": #" + cur + " " + (D.op[cur] || "leaf"));
    panel.replaceChildren();
    nodeEl.forEach((g) => g.classList.remove("mg-selected"));
    groupEl.forEach((g) => g.classList.remove("mg-selected"));
    if (selectedGroup !== null) {
      groupEl.get(selectedGroup).classList.add("mg-selected");
      panel.append(describeGroup(selectedGroup));
    } else if (selected !== null) {
      if (nodeEl.get(selected)) nodeEl.get(selected).classList.add("mg-selected");
      panel.append(describe(selected));
    } else if (cur !== null) {
      panel.append(describe(cur));
      if (!nodeEl.get(cur)) { panel.append(describeGroup(D.itemOf[cur])); centreRow(); }
    } else {
      panel.append(el("h3", {}, "The backward pass, one node at a time"),
        el("p", {}, "Step reveals the gradient of the next node backward visits (right to left, " +
          "newest node first), highlights the edges that carried it and shows the sum " +
          "local \u00d7 upstream that made it. Back undoes a step; Run all and Reset jump to the " +
          "end and the start; the arrow keys step too. Click a box for its values; drag to pan, " +
          "scroll to zoom."));
    }
  }
  const api = {
    step() { if (shown < S) { setNode(D.steps[shown], true); shown++; selected = null; } update(); },
    back() { if (shown > 0) { shown--; setNode(D.steps[shown], false); selected = null; } update(); },
    all() { while (shown < S) { setNode(D.steps[shown], true); shown++; } selected = null; update(); },
    reset() { while (shown > 0) { shown--; setNode(D.steps[shown], false); } selected = null; selectedGroup = null; update(); },
    fit() { view = Object.assign({}, home); applyView(); },
  };
  section.querySelectorAll(".mg-toolbar button").forEach((b) =>
    b.addEventListener("click", () => { active = api; api[b.dataset.act](); }));
  nodeEl.forEach((g, i) => g.addEventListener("click", (e) => {
    if (moved) return; active = api; selected = i; selectedGroup = null; update(); }));
  groupEl.forEach((g, k) => g.addEventListener("click", () => {
    if (moved) return; active = api; selectedGroup = k; selected = null; update(); }));
  // pan (drag) and zoom (wheel) by moving the viewBox
  const W = +svg.getAttribute("width"), H = +svg.getAttribute("height");
  svg.removeAttribute("width"); svg.removeAttribute("height");
  const home = { x: 0, y: 0, w: W, h: H };
  let view = Object.assign({}, home), drag = null, moved = false;
  const where = (g) => g.getAttribute("transform").match(/[-\d.]+/g).map(Number);
  function follow(g) {  // keep the node being stepped in view, at the same zoom
    const [x, y] = where(g);
    const m = 10;
    if (x >= view.x + m && x + BOX_W <= view.x + view.w - m && y >= view.y + m && y + 66 <= view.y + view.h - m) return;
    view.x = x + BOX_W / 2 - view.w / 2; view.y = y + 33 - view.h / 2;
    applyView();
  }
  function applyView() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map((v) => v.toFixed(1)).join(" ")); }
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = svg.getBoundingClientRect();
    const s = Math.min(r.width / view.w, r.height / view.h);
    const cx = view.x + (e.clientX - r.left - (r.width - view.w * s) / 2) / s;
    const cy = view.y + (e.clientY - r.top - (r.height - view.h * s) / 2) / s;
    const f = Math.exp(Math.sign(e.deltaY) * 0.15);
    view = { x: cx - (cx - view.x) * f, y: cy - (cy - view.y) * f, w: view.w * f, h: view.h * f };
    applyView();
  }, { passive: false });
  canvas.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, y: e.clientY, v: Object.assign({}, view) }; moved = false; });
  window.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    const s = Math.min(r.width / view.w, r.height / view.h);
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
    view.x = drag.v.x - dx / s; view.y = drag.v.y - dy / s;
    applyView();
  });
  window.addEventListener("pointerup", () => { drag = null; setTimeout(() => { moved = false; }, 0); });
  canvas.addEventListener("focus", () => { active = api; });
  const r0 = canvas.getBoundingClientRect();
  const fitScale = Math.min(r0.width / W, r0.height / H);
  if (r0.width > 0 && fitScale < 0.6) {
    const [x, y] = where(nodeEl.get(N - 1) || groupEl.get(D.itemOf[N - 1]));
    const w = r0.width / 0.75, h = r0.height / 0.75;
    view = { x: Math.min(W - w, x + BOX_W + 20 - w) + 20, y: y + 33 - h / 2, w, h };
  }
  applyView();
  update();
  return api;
}
document.querySelectorAll(".mg-explorer").forEach((s) => explorers.push(Explorer(s)));
active = explorers[0] || null;
document.addEventListener("keydown", (e) => {
  if (!active || e.target.closest && e.target.closest("input,textarea")) return;
  const act = { ArrowRight: "step", ArrowDown: "step", ArrowLeft: "back", ArrowUp: "back",
    End: "all", Home: "reset" }[e.key];
  if (act) { e.preventDefault(); active[act](); }
});
})();
