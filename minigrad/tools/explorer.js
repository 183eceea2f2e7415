// The explorer page's script (minigrad/tools/explorer.py writes it inline into each page).
// It only reveals gradients, highlights and moves the view: the layout is fixed in Python
// (minigrad/tools/graph_view.py).
(function () {
"use strict";
const LEGIBLE = __LEGIBLE__;  // the smallest zoom at which a box's text is read (explorer.LEGIBLE)
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
// An array as a matrix: its shape, then a row per line (a vector is one row), at most ROWS
// rows and as many columns as fit in `room` pixels, the rest counted.
const ROWS = 16, MONO_W = 6.7;  // (the width of a character of the panel's 11px monospace)
const dims = (x) => (Array.isArray(x) ? [x.length, ...dims(x[0])] : []);
function matrix(x, shape, room) {
  const v = flat(x), d = shape || dims(x);
  const ncol = d.length ? d[d.length - 1] : 1, nrow = ncol ? v.length / ncol : 0;
  const text = [];
  for (let r = 0; r < Math.min(nrow, ROWS); r++) {
    text.push([]);
    for (let c = 0; c < Math.min(ncol, 16); c++) text[r].push(fmt(v[r * ncol + c]));
  }
  const width = Math.max(1, ...text.flat().map((t) => t.length));
  const cols = Math.min(ncol, Math.max(1, Math.floor((room || 300) / ((width + 2) * MONO_W))), 16);
  const cut = nrow > ROWS || ncol > cols;
  const lines = [d.join(" x ") + (cut ? "  (rows 1-" + Math.min(nrow, ROWS) + ", columns 1-" + cols + ")" : "")];
  for (const row of text) lines.push(row.slice(0, cols).map((t) => t.padStart(width)).join("  ") + (ncol > cols ? "  \u2026" : ""));
  if (nrow > ROWS) lines.push("\u2026 " + (nrow - ROWS) + " more rows");
  return lines.join("\n");
}
const el = (tag, attrs, text) => {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
};
const clip = (t, n) => (t.length <= n ? t : t.slice(0, n - 1) + "\u2026");

const explorers = [];
let active = null;

function Explorer(section) {
  const D = JSON.parse(section.querySelector('script[type="application/json"]').textContent);
  const N = D.op.length, S = D.steps.length;
  const svg = section.querySelector("svg");
  const main = section.querySelector(".mg-main");
  const canvas = section.querySelector(".mg-canvas");
  const panel = section.querySelector(".mg-panel");
  const status = section.querySelector(".mg-status");
  const nodeEl = new Map(), groupEl = new Map(), edgeEl = new Map();
  svg.querySelectorAll("[data-node]").forEach((g) => nodeEl.set(+g.dataset.node, g));
  svg.querySelectorAll("[data-group]").forEach((g) => groupEl.set(+g.dataset.group, g));
  svg.querySelectorAll("[data-edge]").forEach((p) => {
    const k = p.dataset.edge;
    if (!edgeEl.has(k)) edgeEl.set(k, []);
    edgeEl.get(k).push(p);  // a node used twice by one op has two edges
  });
  const stepOf = new Int32Array(N).fill(-1);
  D.steps.forEach((n, k) => { stepOf[n] = k; });
  const uses = Array.from({ length: N }, () => []);  // uses[p]: [child, k] with prev[k] == p
  D.prev.forEach((ps, c) => ps.forEach((p, k) => uses[p].push([c, k])));
  const groupDone = new Map(), groupSize = new Map();
  for (const k in D.groups) {
    groupDone.set(+k, 0);
    groupSize.set(+k, D.groups[k].members.filter((i) => stepOf[i] >= 0).length);
  }
  const boxW = (g) => +g.querySelector(".mg-box").getAttribute("width");
  const boxH = (g) => +g.querySelector(".mg-box").getAttribute("height");
  groupEl.forEach((g, k) => {
    if (groupSize.get(k)) g.querySelector(".mg-grad").textContent = "grads 0/" + groupSize.get(k);
  });
  let shown = 0, selected = null, selectedGroup = null, carried = [], currentEl = null;
  const strides = [];  // how many gradients each Step, Step box or Step column revealed

  const room = () => panel.clientWidth - 48;  // pixels for a matrix in the panel
  const term = (c, k) => {
    if (D.term && D.term[c] && D.term[c][k] !== null) return D.term[c][k];
    return D.local[c][k] * D.grad[c];
  };
  const gradText = (i) => "grad " + summary(D.grad[i]);
  const groupGrad = (k) => {
    const G = D.groups[k];
    return G.kind === "params" ? G.members.map((i) => (D.grad[i] === null ? 0 : D.grad[i])) : D.grad[G.out];
  };
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
      const ge = groupEl.get(k), total = groupSize.get(k);
      ge.classList.toggle("mg-done", n === total);
      // all revealed: the gradient of the group's output node (of every shared leaf)
      ge.querySelector(".mg-grad").textContent = n === total
        ? clip("grad " + summary(groupGrad(k)), 25)
        : "grads " + n + "/" + total;
      ge.querySelector(".mg-bar").setAttribute("width", ((boxW(ge) - 2) * n / total).toFixed(1));
    }
  }
  function elOf(i) { return nodeEl.get(i) || groupEl.get(D.itemOf[i]); }
  function highlight(keepInView) {
    carried.forEach((p) => p.classList.remove("carry"));
    carried = [];
    if (currentEl) currentEl.classList.remove("mg-current");
    currentEl = null;
    if (shown === 0) return;
    const i = D.steps[shown - 1];
    currentEl = elOf(i);
    currentEl.classList.add("mg-current");
    if (keepInView) follow(currentEl);
    for (const [c] of uses[i]) {
      for (const p of edgeEl.get(D.itemOf[i] + "-" + D.itemOf[c]) || []) {
        p.classList.add("carry");
        carried.push(p);
      }
    }
  }
  const nameOf = (i) => (D.prev[i].length || !D.name[i]
    ? "#" + i + " " + (D.op[i] || "leaf") + (D.name[i] ? " " + D.name[i] : "")
    : D.name[i]);
  const constOf = (i) => D.consts[i] ? D.consts[i][2] + " " + fmt(D.consts[i][1]) : null;
  function parentsText(i) {
    const names = D.prev[i].map((p) => "#" + p + " " + (D.name[p] || D.op[p] || "leaf"));
    const c = D.consts[i];
    if (c) names.splice(c[0] === 0 ? 0 : names.length, 0, "the plain number " + constOf(i));
    return names.length ? names.join(", ") : "none (a leaf)";
  }
  function gradient(i) {
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
        const rule = D.rules[D.op[c]] && D.rules[D.op[c]][kk];
        const expr = loc
          ? fmt(D.local[c][kk]) + " \u00d7 " + fmt(D.grad[c]) + " = " + fmt(term(c, kk))
          : rule ? D.op[c] + ": " + rule + " = " + summary(term(c, kk))
            : D.op[c] + "'s backward(" + summary(D.grad[c]) + ") = " + summary(term(c, kk));
        tr.append(el("td", {}, via), el("td", {}, expr));
        t.append(tr);
      }
      f.append(t);
    }
    if (Array.isArray(D.grad[i])) f.append(el("div", {}, "grad ="), el("pre", { class: "mg-matrix" }, matrix(D.grad[i], null, room())));
    else f.append(el("div", { class: "mg-sum" }, "grad = " + (uses[i].length > 1 ? "sum of the terms = " : "") + fmt(D.grad[i])));
    return f;
  }
  function describe(i) {
    const box = el("div");
    box.append(el("h3", {}, nameOf(i)));
    const info = el("table");
    const row = (k, v) => { const tr = el("tr"); tr.append(el("th", {}, k), el("td", {}, v)); info.append(tr); };
    if (D.shape) row("shape", D.shape[i].length ? D.shape[i].join(" x ") : "0-d");
    row("parents", parentsText(i));
    box.append(info);
    // the gradient first (it is what the page is about), then the values
    const k = stepOf[i];
    if (k < 0) box.append(el("p", { class: "mg-muted" }, "backward gives this node no gradient."));
    else if (k >= shown) box.append(el("p", { class: "mg-muted" }, "gradient not revealed yet: it is step " + (k + 1) + " of " + S + "."));
    else box.append(gradient(i));
    if (Array.isArray(D.data[i])) box.append(el("div", { class: "mg-muted" }, "data"), el("pre", { class: "mg-matrix" }, matrix(D.data[i], null, room())));
    else box.append(el("p", {}, "data = " + fmt(D.data[i])));
    return box;
  }
  function describeGroup(k) {
    const G = D.groups[k];
    const box = el("div");
    const cur = shown ? D.steps[shown - 1] : -1;
    if (G.kind === "params") {
      box.append(el("h3", {}, G.name + (G.shape ? " \u00b7 " + G.shape.join(" x ") : "") +
        ": " + G.members.length + " leaves, one node per number"));
      const done = groupDone.get(k);
      if (done === groupSize.get(k)) {
        const f = el("div", { class: "mg-formula" });
        f.append(el("div", {}, "grad = (the sum of its uses, one per sample of the batch)"),
          el("pre", { class: "mg-matrix" }, matrix(groupGrad(k), G.shape, room())));
        box.append(f);
      } else {
        box.append(el("p", { class: "mg-muted" }, "gradients revealed: " + done + " of " + groupSize.get(k) + "."));
      }
      box.append(el("div", { class: "mg-muted" }, "data"),
        el("pre", { class: "mg-matrix" }, matrix(G.members.map((i) => D.data[i]), G.shape, room())));
    } else {
      box.append(el("h3", {}, "group of " + G.members.length + " nodes, ending in #" + G.out + " " + D.op[G.out]));
    }
    box.append(el("p", { class: "mg-muted" }, "Its nodes, in creation order; click a row for its sum."));
    const t = el("table");
    const head = el("tr");
    ["#", "op", "data", "grad"].forEach((h) => head.append(el("th", {}, h)));
    t.append(head);
    for (const i of G.members) {
      const on = stepOf[i] >= 0 && stepOf[i] < shown;
      const tr = el("tr", { "data-node": String(i) });
      if (on) tr.setAttribute("data-grad", JSON.stringify(D.grad[i]));
      if (i === cur) tr.className = "mg-current";
      const what = (D.op[i] || "leaf") + (D.name[i] ? " " + D.name[i] : "") + (D.consts[i] ? " (" + constOf(i) + ")" : "");
      tr.append(el("td", {}, String(i)), el("td", {}, what),
        el("td", {}, summary(D.data[i])), el("td", {}, on ? summary(D.grad[i]) : "?"));
      tr.addEventListener("click", () => { selected = i; selectedGroup = null; update(false); });
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
  function update(keepInView) {
    highlight(keepInView);
    const cur = shown ? D.steps[shown - 1] : null;
    status.textContent = "step " + shown + " of " + S + (cur === null ? "" : ": " + nameOf(cur));
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
          "local \u00d7 upstream that made it. Step box reveals every gradient of the next box " +
          "(a neuron, in a grouped graph), Step column those of the next column of boxes (a " +
          "layer). Back undoes the last step; Run all and Reset jump to the end and the start " +
          "and keep your view. Keys: \u2192 and \u2190 step and undo, Shift+\u2192 a box, " +
          "Page Down a column. Click a box for its values; drag to pan, scroll to zoom."));
    }
  }
  function reveal(n) {
    let k = 0;
    for (; k < n && shown < S; k++) { setNode(D.steps[shown], true); shown++; }
    return k;
  }
  function hide(n) {
    let k = 0;
    for (; k < n && shown > 0; k++) { shown--; setNode(D.steps[shown], false); }
    return k;
  }
  // the run of steps from the next one that stay in one box (one column)
  function run(same) {
    let n = 0;
    const first = D.steps[shown];
    while (shown + n < S && same(D.steps[shown + n], first)) n++;
    return n;
  }
  const box = (a, b) => D.itemOf[a] === D.itemOf[b];
  const column = (a, b) => D.column[D.itemOf[a]] === D.column[D.itemOf[b]];
  function stride(n) {
    const k = reveal(n);
    if (k) strides.push(k);
    selected = null;
    update(true);
  }
  const api = {
    step() { stride(1); },
    box() { stride(run(box)); },
    column() { stride(run(column)); },
    back() { hide(strides.pop() || 1); selected = null; update(true); },
    all() { reveal(S); strides.length = 0; selected = null; update(false); },
    reset() { hide(S); strides.length = 0; selected = null; selectedGroup = null; update(false); },
    fit() { view = whole(); applyView(); },
  };
  section.querySelectorAll(".mg-toolbar button").forEach((b) =>
    b.addEventListener("click", () => { active = api; api[b.dataset.act](); }));
  nodeEl.forEach((g, i) => g.addEventListener("click", () => {
    if (moved) return; active = api; selected = i; selectedGroup = null; update(false); }));
  groupEl.forEach((g, k) => g.addEventListener("click", () => {
    if (moved) return; active = api; selectedGroup = k; selected = null; update(false); }));

  // -- the view: pan (drag) and zoom (wheel) by moving the viewBox ---------------------------
  const W = +svg.getAttribute("width"), H = +svg.getAttribute("height");
  svg.removeAttribute("width"); svg.removeAttribute("height");
  let view, drag = null, moved = false;
  const where = (g) => g.getAttribute("transform").match(/[-\d.]+/g).map(Number);
  function follow(g) {  // keep the box being stepped in view, at the same zoom
    const [x, y] = where(g), w = boxW(g), h = boxH(g);
    const m = 10;
    if (x >= view.x + m && x + w <= view.x + view.w - m && y >= view.y + m && y + h <= view.y + view.h - m) return;
    view.x = x + w / 2 - view.w / 2; view.y = y + h / 2 - view.h / 2;
    applyView();
  }
  function applyView() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map((v) => v.toFixed(1)).join(" ")); }
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  // The canvas of an explorer whose panel sits below it (a narrow window) is as tall as its
  // graph needs at the zoom its width allows (shareHeights sizes those of draw --compare).
  function sizeCanvas() {
    if (getComputedStyle(main).flexDirection !== "column") return;
    const r = canvas.getBoundingClientRect();
    const s = Math.max(LEGIBLE, Math.min(1, r.width / W));
    canvas.style.height = Math.round(Math.max(Math.min(H * s + 2, 0.8 * window.innerHeight), 140)) + "px";
  }
  // On load: the whole graph when it can be read whole, else its root at a legible zoom.
  function whole() {
    const r = canvas.getBoundingClientRect();
    const s = Math.min(1, r.width / W, r.height / H);
    const w = r.width / s, h = r.height / s;
    return { x: (W - w) / 2, y: (H - h) / 2, w, h };
  }
  function onLoad() {
    const r = canvas.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0)) return { x: 0, y: 0, w: W, h: H };
    if (Math.min(1, r.width / W, r.height / H) >= LEGIBLE) return whole();
    const g = nodeEl.get(N - 1) || groupEl.get(D.itemOf[N - 1]);
    const [x, y] = where(g);
    const z = Math.max(LEGIBLE, 0.75), w = r.width / z, h = r.height / z;
    return { x: x + boxW(g) + 20 - w, y: y + boxH(g) / 2 - h / 2, w, h };
  }
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
  sizeCanvas();
  view = onLoad();
  applyView();
  update(false);
  return api;
}
// Explorers one above the other (draw --compare) share the window's height in proportion to
// their graphs, so that each shows its whole graph at one zoom when the window allows.
function shareHeights() {
  const stacks = new Map();
  document.querySelectorAll(".mg-compact").forEach((s) => {
    if (getComputedStyle(s.querySelector(".mg-main")).flexDirection === "column") return;
    const left = Math.round(s.getBoundingClientRect().left);
    if (!stacks.has(left)) stacks.set(left, []);
    stacks.get(left).push(s);
  });
  stacks.forEach((sections) => {
    const size = sections.map((s) => {
      const svg = s.querySelector("svg"), c = s.querySelector(".mg-canvas").getBoundingClientRect();
      return { W: +svg.getAttribute("width"), H: +svg.getAttribute("height"), width: c.width,
        chrome: s.getBoundingClientRect().height - c.height };
    });
    const top = sections[0].getBoundingClientRect().top + window.scrollY;
    const free = window.innerHeight - top - 16 * sections.length - size.reduce((a, z) => a + z.chrome, 0);
    const shared = free / size.reduce((a, z) => a + z.H, 0);
    sections.forEach((s, k) => {
      const z = size[k], h = Math.round(Math.max(z.H * Math.min(1, shared, z.width / z.W) + 2, 100));
      s.querySelector(".mg-canvas").style.height = h + "px";
      s.querySelector(".mg-panel").style.height = h + "px";
    });
  });
}
function start() {
  shareHeights();
  document.querySelectorAll(".mg-explorer").forEach((s) => explorers.push(Explorer(s)));
  active = explorers[0] || null;
  document.documentElement.setAttribute("data-mg-started", "");  // (tests wait for it)
}
// A notebook's frame may run this before it has a size: fit the graphs once it has one.
// Its first size does not always come with a resize event, so it is also polled.
let started = false;
function startWhenSized() {
  if (started || !(window.innerWidth > 0 && window.innerHeight > 0)) return started;
  started = true;
  window.removeEventListener("resize", startWhenSized);
  start();
  return true;
}
if (!startWhenSized()) {
  window.addEventListener("resize", startWhenSized);
  const poll = setInterval(() => { if (startWhenSized()) clearInterval(poll); }, 50);
}
document.addEventListener("keydown", (e) => {
  if (!active || e.target.closest && e.target.closest("input,textarea")) return;
  const act = e.shiftKey && e.key === "ArrowRight" ? "box" : { ArrowRight: "step", ArrowDown: "step",
    ArrowLeft: "back", ArrowUp: "back", PageDown: "column", End: "all", Home: "reset" }[e.key];
  if (act) { e.preventDefault(); active[act](); }
});
})();
