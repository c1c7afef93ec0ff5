// Browser side of widgets.bloch.BlochSphere (its Panel `_esm`: an ES module exporting render).
// Hand-written canvas renderer: no imports, nothing fetched, works offline.
const TAU = Math.PI * 2;
const YAW0 = 0.52, PITCH0 = 0.36;        // default view: |+> towards the viewer and left, |+i> right, |0> up
const CAM = 5.0;                          // camera distance in ball radii: a mild perspective
const SIL = CAM / Math.sqrt(CAM * CAM - 1);  // on-screen radius of the ball's outline
const FONT = '"DejaVu Sans", "Segoe UI", system-ui, sans-serif';
const AXES = [
  [[0, 0, 1], "|0\u27E9"], [[0, 0, -1], "|1\u27E9"],
  [[1, 0, 0], "|+\u27E9"], [[-1, 0, 0], "|\u2212\u27E9"],
  [[0, 1, 0], "|+i\u27E9"], [[0, -1, 0], "|\u2212i\u27E9"],
];
// depth bins, back to front; the ball's translucent fill is painted between bins 2 and 3
const BIN_ALPHA = [0.30, 0.42, 0.55, 0.78, 0.9, 1.0];

function binOf(d) {
  return d < 0 ? (d < -0.66 ? 0 : d < -0.33 ? 1 : 2) : (d < 0.33 ? 3 : d < 0.66 ? 4 : 5);
}

function addMarker(ctx, shape, x, y, r) {
  switch (shape) {
    case "square": {
      const h = 0.86 * r;
      ctx.moveTo(x - h, y - h); ctx.lineTo(x + h, y - h); ctx.lineTo(x + h, y + h); ctx.lineTo(x - h, y + h);
      ctx.closePath(); break;
    }
    case "triangle":
      ctx.moveTo(x, y - 1.25 * r); ctx.lineTo(x + 1.1 * r, y + 0.68 * r); ctx.lineTo(x - 1.1 * r, y + 0.68 * r);
      ctx.closePath(); break;
    case "diamond":
      ctx.moveTo(x, y - 1.3 * r); ctx.lineTo(x + 0.95 * r, y); ctx.lineTo(x, y + 1.3 * r); ctx.lineTo(x - 0.95 * r, y);
      ctx.closePath(); break;
    case "cross": {
      // an X drawn as one 12-gon, so it fills and outlines like the other shapes
      const a = 1.25 * r, b = 0.42 * r, s = Math.SQRT1_2;
      const q = [[-b, -a], [b, -a], [b, -b], [a, -b], [a, b], [b, b],
                 [b, a], [-b, a], [-b, b], [-a, b], [-a, -b], [-b, -b]];
      for (let k = 0; k < q.length; k++) {
        const px = x + (q[k][0] - q[k][1]) * s, py = y + (q[k][0] + q[k][1]) * s;
        if (k === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      ctx.closePath(); break;
    }
    case "star":
      for (let k = 0; k < 10; k++) {
        const rr = k % 2 ? 0.58 * r : 1.4 * r, t = -Math.PI / 2 + k * Math.PI / 5;
        const px = x + rr * Math.cos(t), py = y + rr * Math.sin(t);
        if (k === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      ctx.closePath(); break;
    default:
      ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, TAU);
  }
}

function fmt(v) {
  return (v < 0 ? "\u2212" : "\u2009") + Math.abs(v).toFixed(3);
}

export function render({ model, el }) {
  const wrap = document.createElement("div");
  wrap.style.cssText = "position:relative;display:inline-block;line-height:0;";
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  canvas.tabIndex = 0;
  canvas.style.cssText = "display:block;touch-action:none;cursor:grab;outline-offset:2px;border-radius:6px;";
  const tip = document.createElement("div");
  tip.setAttribute("role", "tooltip");
  tip.style.cssText = "position:absolute;display:none;pointer-events:none;white-space:pre;z-index:10;" +
    "font:max(12px, var(--pg-min-font, 0px))/1.35 " + FONT + ";color:#111;background:rgba(255,255,255,0.96);border:1px solid #8a8f98;" +
    "border-radius:4px;padding:4px 7px;box-shadow:0 1px 4px rgba(0,0,0,0.18);";
  // A picture of the sphere as it is turned now: the canvas as a PNG file.
  const save = document.createElement("button");
  save.type = "button";
  save.textContent = "⤓ PNG";
  save.setAttribute("aria-label", "Save this sphere as a PNG picture");
  save.title = "Save as PNG";
  save.style.cssText = "position:absolute;top:4px;right:4px;z-index:5;font:max(12px, var(--pg-min-font, 0px))/1 " + FONT + ";color:#1f3a5f;" +
    "background:rgba(255,255,255,0.9);border:1px solid #c5ccd6;border-radius:4px;padding:4px 6px;cursor:pointer;";
  save.addEventListener("click", () => {
    canvas.toBlob((blob) => {
      if (!blob) return;
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = ((model.title || "bloch sphere").replace(/[^A-Za-z0-9_-]+/g, "_") || "bloch_sphere") + ".png";
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    }, "image/png");
  });
  wrap.append(canvas, tip, save);
  el.appendChild(wrap);
  const ctx = canvas.getContext("2d");

  const view = { yaw: YAW0, pitch: PITCH0 };
  let frame = 0, hover = -1, drag = null, width = 0, dpr = 1;
  let sx = new Float32Array(0), sy = new Float32Array(0), sd = new Float32Array(0);
  let nDrawn = 0, drawPaths = () => {};

  // All changes land here: at most one draw per animation frame, however many messages arrive.
  function schedule() {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; draw(); });
  }

  // Every property read once per draw: each model.x goes through Panel's proxy, too slow for a per-state
  // loop, and the tooltip and picking must describe what was drawn, not what has just arrived.
  const PROPS = ["points", "classes", "paths", "path_stride", "label_states", "palette", "markers",
                 "class_names", "highlight", "selected", "title", "size", "show_legend"];
  let st = {};
  function read() { const o = {}; for (const k of PROPS) o[k] = model[k]; return o; }

  function nPoints() { const p = st.points; return p ? Math.floor(p.length / 3) : 0; }
  function classOf(i) { const c = st.classes; return c && i < c.length ? c[i] : 0; }
  function colourOf(c) { const p = st.palette; return p && p.length ? p[c % p.length] : "#0072B2"; }
  function markerOf(c) { const m = st.markers; return m && m.length ? m[c % m.length] : "circle"; }
  function className(c) { const n = st.class_names; return n && c < n.length ? n[c] : "class " + c; }

  function resize() {
    const s = st.size;
    dpr = window.devicePixelRatio || 1;
    if (s === width && canvas.width === Math.round(s * dpr)) return;
    width = s;
    canvas.width = Math.round(s * dpr); canvas.height = Math.round(s * dpr);
    canvas.style.width = s + "px"; canvas.style.height = s + "px";
  }

  function camera() {
    const cy = Math.cos(view.yaw), sy_ = Math.sin(view.yaw), cp = Math.cos(view.pitch), sp = Math.sin(view.pitch);
    return { c: [cp * cy, cp * sy_, sp], r: [-sy_, cy, 0], u: [-sp * cy, -sp * sy_, cp] };
  }

  // world (x, y, z) -> [screen x, screen y, depth towards the viewer in [-1, 1], perspective scale]
  function projector(cam, cx, cy, R) {
    const c = cam.c, r = cam.r, u = cam.u;
    return (x, y, z) => {
      const d = x * c[0] + y * c[1] + z * c[2];
      const k = CAM / (CAM - d);
      return [cx + R * k * (x * r[0] + y * r[1]), cy - R * k * (x * u[0] + y * u[1] + z * u[2]), d, k];
    };
  }

  function ariaLabel() {
    const n = nPoints(), title = st.title;
    let s = "Bloch sphere" + (title ? ", " + title : "") + ": " + n + " state" + (n === 1 ? "" : "s");
    const cls = st.classes;
    if (cls && n) {
      const seen = new Uint8Array(256); let k = 0;
      for (let i = 0; i < Math.min(n, cls.length); i++) if (!seen[cls[i]]) { seen[cls[i]] = 1; k++; }
      s += ", " + k + " class" + (k === 1 ? "" : "es");
    }
    const ls = st.label_states;
    if (ls && ls.length) s += ", " + ls.length / 3 + " label state" + (ls.length === 3 ? "" : "s");
    if (st.paths && st.paths.length) s += ", layer-by-layer paths";
    if (st.selected >= 0 && st.selected < n) s += ", state " + st.selected + " selected";
    return s;
  }

  function greatCircle(P, f) {
    // returns [back path, front path], split by the depth of each segment's midpoint
    const back = new Path2D(), front = new Path2D();
    const m = 144;
    let prev = P(...f(0)), prevSide = null;
    for (let k = 1; k <= m; k++) {
      const q = P(...f(k * TAU / m));
      const side = (prev[2] + q[2]) >= 0;
      const path = side ? front : back;
      if (side !== prevSide) path.moveTo(prev[0], prev[1]);
      path.lineTo(q[0], q[1]);
      prev = q; prevSide = side;
    }
    return [back, front];
  }

  function draw() {
    const t0 = performance.now();
    st = read();
    resize();
    const S = width, fs = Math.max(11, Math.round(S / 28));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, S, S);
    const title = st.title || "";
    const cx = S / 2, cy = S / 2 + (title ? 0.45 * fs : 0);
    const R = S * (title ? 0.335 : 0.35);
    const cam = camera(), P = projector(cam, cx, cy, R);

    const n = nPoints(), pts = st.points, cls = st.classes;
    if (sx.length < n) { sx = new Float32Array(n); sy = new Float32Array(n); sd = new Float32Array(n); }
    nDrawn = n;
    let nClasses = 1;
    {
      // the projection inlined: this loop runs over every state each frame
      const c = cam.c, r = cam.r, u = cam.u;
      for (let i = 0; i < n; i++) {
        const x = pts[3 * i], y = pts[3 * i + 1], z = pts[3 * i + 2];
        const d = x * c[0] + y * c[1] + z * c[2], k = R * CAM / (CAM - d);
        sx[i] = cx + k * (x * r[0] + y * r[1]);
        sy[i] = cy - k * (x * u[0] + y * u[1] + z * u[2]);
        sd[i] = d;
        const cl = classOf(i); if (cl + 1 > nClasses) nClasses = cl + 1;
      }
    }
    let r0 = Math.max(2.6, Math.min(6, S / 95));
    if (n > 1500) r0 *= 0.72; else if (n > 600) r0 *= 0.85;

    // ---- back layer -------------------------------------------------------------------------------------
    const [eqBack, eqFront] = greatCircle(P, (t) => [Math.cos(t), Math.sin(t), 0]);
    const [meBack, meFront] = greatCircle(P, (t) => [Math.cos(t), 0, Math.sin(t)]);
    ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.save();
    ctx.setLineDash([3, 4]); ctx.strokeStyle = "rgba(70, 80, 100, 0.45)"; ctx.lineWidth = 1;
    ctx.stroke(eqBack); ctx.stroke(meBack);
    ctx.restore();
    const o = P(0, 0, 0);
    const ls = st.label_states, nLabels = ls ? Math.floor(ls.length / 3) : 0;
    // a label state sitting on an axis end (the usual choice) pushes that end's label further out
    const axisEnds = AXES.map(([v, label]) => {
      let taken = false;
      for (let c = 0; c < nLabels; c++) {
        const dx = ls[3 * c] - v[0], dy = ls[3 * c + 1] - v[1], dz = ls[3 * c + 2] - v[2];
        if (dx * dx + dy * dy + dz * dz < 0.04) taken = true;
      }
      return [P(v[0], v[1], v[2]), label, taken];
    });
    function drawAxes(front) {
      ctx.save();
      ctx.strokeStyle = "#3b4250"; ctx.lineWidth = 1.3;
      if (!front) { ctx.globalAlpha = 0.45; ctx.setLineDash([4, 3]); }
      ctx.beginPath();
      for (const [e] of axisEnds) if ((e[2] >= 0) === front) { ctx.moveTo(o[0], o[1]); ctx.lineTo(e[0], e[1]); }
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#3b4250";
      ctx.beginPath();
      for (const [e] of axisEnds) {
        if ((e[2] >= 0) === front) { ctx.moveTo(e[0] + 2.2, e[1]); ctx.arc(e[0], e[1], 2.2, 0, TAU); }
      }
      ctx.fill();
      ctx.restore();
    }
    drawAxes(false);

    // trajectories through the layers: thin polylines, one batch per class and side
    const paths = st.paths;
    if (paths && paths.length && n) {
      const stride = Math.max(1, st.path_stride || 1);
      const m = Math.ceil(n / stride);
      const K = paths.shape && paths.shape.length === 3 ? paths.shape[1] : Math.floor(paths.length / (3 * m));
      const m_ = Math.min(m, Math.floor(paths.length / (3 * Math.max(K, 1))));
      const backs = new Map(), fronts = new Map();
      for (let j = 0; j < m_ && K > 1; j++) {
        const i = j * stride, c = classOf(i), base = 3 * K * j;
        if (!backs.has(c)) { backs.set(c, new Path2D()); fronts.set(c, new Path2D()); }
        let prev = P(paths[base], paths[base + 1], paths[base + 2]), prevSide = null;
        for (let k = 1; k < K; k++) {
          const b = base + 3 * k, q = P(paths[b], paths[b + 1], paths[b + 2]);
          const side = prev[2] + q[2] >= 0, path = side ? fronts.get(c) : backs.get(c);
          if (side !== prevSide) path.moveTo(prev[0], prev[1]);
          path.lineTo(q[0], q[1]);
          prev = q; prevSide = side;
        }
      }
      drawPaths = (front) => {
        // exactly one device pixel: Skia's hairline path, far faster than a 1.1 px stroke without a GPU
        ctx.save(); ctx.lineWidth = 1 / dpr; ctx.globalAlpha = front ? 0.55 : 0.25;
        for (const [c, p] of (front ? fronts : backs)) { ctx.strokeStyle = colourOf(c); ctx.stroke(p); }
        ctx.restore();
      };
    } else {
      drawPaths = () => {};
    }
    drawPaths(false);

    // points, bucketed by (depth bin, class) with a counting sort: one fill per bucket, drawn back to front
    const C = Math.min(nClasses, 256), nb = 6 * C;
    const start = new Int32Array(nb + 1), order = new Int32Array(n);
    for (let i = 0; i < n; i++) start[binOf(sd[i]) * C + classOf(i) + 1]++;
    for (let b = 0; b < nb; b++) start[b + 1] += start[b];
    const fill = start.slice(0, nb);
    for (let i = 0; i < n; i++) order[fill[binOf(sd[i]) * C + classOf(i)]++] = i;
    function drawBins(b0, b1) {
      ctx.save();
      // outlines double the cost of a frame; past ~1500 markers they are too small to need one
      const outline = n <= 1500;
      ctx.lineWidth = 0.8;
      ctx.strokeStyle = "rgba(20, 24, 32, 0.85)";
      for (let bin = b0; bin < b1; bin++) {
        ctx.globalAlpha = BIN_ALPHA[bin];
        for (let c = 0; c < C; c++) {
          const k0 = start[bin * C + c], k1 = start[bin * C + c + 1];
          if (k0 === k1) continue;
          const shape = markerOf(c);
          ctx.beginPath();
          for (let k = k0; k < k1; k++) {
            const i = order[k], sc = CAM / (CAM - sd[i]);
            addMarker(ctx, shape, sx[i], sy[i], r0 * sc);
          }
          ctx.fillStyle = colourOf(c); ctx.fill();
          if (outline) ctx.stroke();
        }
      }
      ctx.restore();
    }
    drawBins(0, 3);

    // ---- the ball: translucent glass over everything behind its centre --------------------------------------
    const Rs = R * SIL;
    const g = ctx.createRadialGradient(cx - 0.38 * Rs, cy - 0.42 * Rs, 0.05 * Rs, cx, cy, Rs);
    g.addColorStop(0, "rgba(255, 255, 255, 0.62)");
    g.addColorStop(0.55, "rgba(214, 224, 240, 0.5)");
    g.addColorStop(1, "rgba(150, 168, 200, 0.55)");
    ctx.beginPath(); ctx.arc(cx, cy, Rs, 0, TAU);
    ctx.fillStyle = g; ctx.fill();
    ctx.lineWidth = 1.6; ctx.strokeStyle = "rgba(55, 65, 85, 0.85)"; ctx.stroke();

    // ---- front layer ------------------------------------------------------------------------------------
    ctx.save();
    ctx.strokeStyle = "rgba(60, 70, 90, 0.75)"; ctx.lineWidth = 1.1;
    ctx.stroke(eqFront); ctx.stroke(meFront);
    ctx.restore();
    drawAxes(true);
    drawPaths(true);
    drawBins(3, 6);

    // label states: a line from the centre and a big outlined marker in the class's colour and shape
    for (let c = 0; c < nLabels; c++) {
      const q = P(ls[3 * c], ls[3 * c + 1], ls[3 * c + 2]);
      const col = colourOf(c), rr = 2.4 * r0 * q[3];
      ctx.save();
      ctx.globalAlpha = q[2] >= 0 ? 1 : 0.6;
      ctx.setLineDash([6, 4]); ctx.lineWidth = 2; ctx.strokeStyle = col;
      ctx.beginPath(); ctx.moveTo(o[0], o[1]); ctx.lineTo(q[0], q[1]); ctx.stroke();
      ctx.setLineDash([]);
      ctx.beginPath(); addMarker(ctx, markerOf(c), q[0], q[1], rr);
      // dark rim, white halo, class colour: a target that stands out inside a cluster of its own class
      ctx.fillStyle = "rgba(255, 255, 255, 0.7)"; ctx.fill();
      ctx.lineWidth = 6.5; ctx.strokeStyle = "rgba(20, 24, 32, 0.9)"; ctx.stroke();
      ctx.lineWidth = 4.5; ctx.strokeStyle = "#ffffff"; ctx.stroke();
      ctx.lineWidth = 2.8; ctx.strokeStyle = col; ctx.stroke();
      ctx.restore();
    }

    // rings: highlight (app-driven), selected (clicked), hover
    function ring(i, rad, colour, w) {
      if (i == null || i < 0 || i >= n) return;
      ctx.beginPath(); ctx.arc(sx[i], sy[i], rad, 0, TAU);
      ctx.lineWidth = w + 2.5; ctx.strokeStyle = "rgba(255, 255, 255, 0.95)"; ctx.stroke();
      ctx.lineWidth = w; ctx.strokeStyle = colour; ctx.stroke();
    }
    ctx.save();
    ring(st.highlight, r0 + 6, "#111111", 2);
    ring(st.selected, r0 + 8, "#111111", 2.5);
    if (hover !== st.selected) ring(hover, r0 + 5, "#555555", 1.2);
    ctx.restore();

    // axis-end labels, with a white halo so they stay legible over points
    ctx.save();
    ctx.font = fs + "px " + FONT; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.lineJoin = "round"; ctx.lineWidth = 3.5; ctx.strokeStyle = "rgba(255, 255, 255, 0.92)";
    for (const [e, label, taken] of axisEnds) {
      // beyond the axis end, outwards from the centre, clear of a label-state marker sitting on the pole;
      // an axis pointing at the viewer projects short, so its label is pushed out of the crowded middle
      let dx = e[0] - o[0], dy = e[1] - o[1]; const len = Math.hypot(dx, dy);
      if (len > 1e-6) { dx /= len; dy /= len; } else { dx = -Math.SQRT1_2; dy = Math.SQRT1_2; }
      const half = 0.5 * ctx.measureText(label).width * Math.abs(dx) + 0.5 * fs * Math.abs(dy);
      const clear = taken ? 2.4 * r0 * e[3] + 4 : 0;
      // states crowd an axis end right up to the ball's rim: an end near the rim puts its label past the rim
      const rim = R * SIL * Math.sqrt(Math.max(0, 1 - e[2] * e[2])) + 1.4 * r0;
      const out = Math.max(Math.max(len + clear, rim) + half + 7, 0.62 * R);
      const x = o[0] + dx * out, y = o[1] + dy * out;
      ctx.globalAlpha = e[2] >= -0.4 ? 1 : 0.62;
      ctx.fillStyle = "#14171f";
      ctx.strokeText(label, x, y); ctx.fillText(label, x, y);
    }
    ctx.restore();

    // title and legend
    ctx.save();
    ctx.fillStyle = "#14171f"; ctx.textBaseline = "top";
    if (title) {
      ctx.font = "600 " + Math.round(1.12 * fs) + "px " + FONT; ctx.textAlign = "center";
      ctx.fillText(title, S / 2, 0.45 * fs, S - 16);
    }
    if (st.show_legend && (cls || nLabels)) {
      const rows = [];
      const k = Math.max(cls ? C : 0, nLabels), shown = k > 8 ? 7 : k;
      for (let c = 0; c < shown; c++) rows.push([c, className(c)]);
      if (shown < k) rows.push([-2, "+ " + (k - shown) + " more classes"]);
      if (nLabels) rows.push([-1, "label state"]);
      // the corners of the square are free of the ball: up to 4 rows bottom left, more split to bottom right
      const nLeft = rows.length <= 4 ? rows.length : Math.ceil(rows.length / 2);
      const lh = Math.round(1.25 * fs), rr = 0.75 * fs / 2;
      ctx.font = Math.round(0.9 * fs) + "px " + FONT; ctx.textAlign = "left"; ctx.textBaseline = "middle";
      const column = (items, right) => {
        const wmax = Math.max(...items.map(([, text]) => ctx.measureText(text).width));
        const x0 = right ? S - 10 - (2 * rr + 9 + wmax) : 10;
        let y = S - 8 - items.length * lh;
        for (const [c, text] of items) {
          const yc = y + lh / 2, xm = x0 + rr + 2;
          if (c !== -2) {
            ctx.beginPath(); addMarker(ctx, c < 0 ? "circle" : markerOf(c), xm, yc, c < 0 ? 1.15 * rr : rr);
            if (c < 0) {
              ctx.fillStyle = "#ffffff"; ctx.fill();
              ctx.lineWidth = 4; ctx.strokeStyle = "rgba(20, 24, 32, 0.9)"; ctx.stroke();
              ctx.lineWidth = 2; ctx.strokeStyle = "#ffffff"; ctx.stroke();
            } else {
              ctx.fillStyle = colourOf(c); ctx.fill();
              ctx.lineWidth = 0.8; ctx.strokeStyle = "rgba(20, 24, 32, 0.85)"; ctx.stroke();
            }
          }
          ctx.fillStyle = "#14171f"; ctx.fillText(text, x0 + 2 * rr + 9, yc);
          y += lh;
        }
      };
      column(rows.slice(0, nLeft), false);
      if (nLeft < rows.length) column(rows.slice(nLeft), true);
    }
    ctx.restore();

    const label = ariaLabel();
    if (canvas.getAttribute("aria-label") !== label) canvas.setAttribute("aria-label", label);
    canvas.blochDraws = (canvas.blochDraws || 0) + 1;
    canvas.blochLastDrawMs = performance.now() - t0;
  }

  // nearest drawn state within a few pixels of (x, y), preferring the one in front; -1 if none
  function pick(x, y) {
    let best = -1, bestScore = Infinity;
    const lim = 9 * 9;
    for (let i = 0; i < nDrawn; i++) {
      const dx = sx[i] - x, dy = sy[i] - y, d2 = dx * dx + dy * dy;
      if (d2 > lim) continue;
      const score = d2 - 20 * sd[i];
      if (score < bestScore) { bestScore = score; best = i; }
    }
    return best;
  }

  function local(ev) {
    const b = canvas.getBoundingClientRect();
    return [ev.clientX - b.left, ev.clientY - b.top];
  }

  function showTip(i, x, y) {
    if (i < 0 || i >= nPoints()) { tip.style.display = "none"; return; }
    const p = st.points, c = classOf(i);
    const vx = p[3 * i], vy = p[3 * i + 1], vz = p[3 * i + 2];
    tip.textContent = "state " + i + " \u00b7 " + className(c) + "\n" +
      "x " + fmt(vx) + "   y " + fmt(vy) + "   z " + fmt(vz) + "\n" +
      "|r| " + Math.hypot(vx, vy, vz).toFixed(3);
    tip.style.display = "block";
    const w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = Math.max(2, Math.min(width - w - 2, x + 12)) + "px";
    tip.style.top = Math.max(2, y - h - 10 < 0 ? y + 14 : y - h - 10) + "px";
  }

  canvas.addEventListener("pointerdown", (ev) => {
    canvas.setPointerCapture(ev.pointerId);
    const [x, y] = local(ev);
    drag = { x, y, x0: x, y0: y, moved: false };
    canvas.style.cursor = "grabbing";
  });
  canvas.addEventListener("pointermove", (ev) => {
    const [x, y] = local(ev);
    if (drag) {
      const dx = x - drag.x, dy = y - drag.y;
      drag.x = x; drag.y = y;
      if (!drag.moved && Math.hypot(x - drag.x0, y - drag.y0) < 3) return;
      drag.moved = true;
      view.yaw -= dx * 0.0105;
      view.pitch = Math.max(-Math.PI / 2, Math.min(Math.PI / 2, view.pitch + dy * 0.0105));
      hover = -1; tip.style.display = "none";
      schedule();
      return;
    }
    const h = pick(x, y);
    if (h !== hover) { hover = h; schedule(); }
    showTip(h, x, y);
  });
  function endDrag(ev) {
    if (!drag) return;
    const [x, y] = local(ev);
    const click = !drag.moved;
    drag = null; canvas.style.cursor = "grab";
    if (click && ev.type === "pointerup") {
      const i = pick(x, y);
      if (i !== model.selected) model.selected = i;
      schedule();
    }
  }
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);
  canvas.addEventListener("pointerleave", () => {
    if (!drag && hover !== -1) { hover = -1; schedule(); }
    tip.style.display = "none";
  });
  canvas.addEventListener("dblclick", () => { view.yaw = YAW0; view.pitch = PITCH0; schedule(); });
  canvas.addEventListener("keydown", (ev) => {
    const step = 5 * Math.PI / 180;
    if (ev.key === "ArrowLeft") view.yaw += step;
    else if (ev.key === "ArrowRight") view.yaw -= step;
    else if (ev.key === "ArrowUp") view.pitch = Math.max(-Math.PI / 2, view.pitch - step);
    else if (ev.key === "ArrowDown") view.pitch = Math.min(Math.PI / 2, view.pitch + step);
    else if (ev.key === "Home" || ev.key === "r") { view.yaw = YAW0; view.pitch = PITCH0; }
    else if (ev.key === "Escape") { if (st.selected !== -1) model.selected = -1; }
    else return;
    ev.preventDefault(); schedule();
  });

  // For tests, apps and benchmarks: where state i was drawn, in CSS pixels relative to the canvas
  // (canvas.blochDraws and canvas.blochLastDrawMs count the draws and time the last one).
  canvas.blochScreenPosition = (i) => (i >= 0 && i < nDrawn ? [sx[i], sy[i]] : null);

  model.on(PROPS, schedule);
  model.on("remove", () => { if (frame) cancelAnimationFrame(frame); frame = 0; });
  schedule();
}
