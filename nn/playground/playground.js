// The page side of nn.Playground (an anywidget module: no build step, nothing fetched).
//
// The kernel trains; this page draws. It asks the kernel for one training step at a time and
// asks for the next only when it has drawn the last, so play and pause live here and the kernel
// never runs a loop. Every message the kernel sends carries its generation number; a frame of an
// older generation (sent before a reset or a new architecture reached the kernel) is dropped,
// never drawn.
//
// The decision regions are computed here, from the weights each frame carries: the same
// forward pass as nn.evaluation.forward, on plain numbers, in the same order of operations.

const ACTIVATIONS = {
  relu: (x) => (x <= 0 ? 0 : x), // relu(nan) stays nan, as in autograd
  tanh: (x) => Math.tanh(x),
  sigmoid: sigmoid,
  linear: (x) => x,
};

function sigmoid(x) {
  // The stable form, as autograd's: exp of a non-positive number only.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

// A one-output network ready to score many points: each layer's units as one flat array of
// [w_1, ..., w_n, b] rows, its activation, and a buffer for its outputs. net.weights[l][j] is
// unit j of layer l as [w_1, ..., w_n, b]; hidden layers apply net.activation, the last none.
function compile(net) {
  const last = net.weights.length - 1;
  return net.weights.map((layer, l) => ({
    nin: layer[0].length - 1,
    w: Float64Array.from(layer.flat()),
    g: ACTIVATIONS[l < last ? net.activation : "linear"],
    out: new Float64Array(layer.length),
  }));
}

function scoreCompiled(layers, input) {
  let a = input;
  for (const { nin, w, g, out } of layers) {
    for (let j = 0, row = 0; j < out.length; j++, row += nin + 1) {
      let s = 0; // sum(w_i * a_i) from 0, then + b: Python's order in nn.evaluation.forward
      for (let i = 0; i < nin; i++) s += w[row + i] * a[i];
      out[j] = g(s + w[row + nin]);
    }
    a = out;
  }
  return a[0];
}

// The scores of a one-output network at the given [x, y] points: nn.evaluation.scores, here.
export function scores(net, points) {
  const layers = compile(net);
  return points.map((x) => scoreCompiled(layers, x));
}

const CLASS_COLOURS = ["#d95f02", "#1f5fa8"]; // nn.plotting's, so the pictures agree
const REGION_RGB = [
  [244, 199, 161],
  [169, 200, 232],
];
const GRID = 64; // cells per side of the regions' picture

function regionsImage(net, view) {
  const [x0, x1, y0, y1] = view;
  const image = new ImageData(GRID, GRID);
  const layers = compile(net);
  const point = new Float64Array(2);
  for (let r = 0; r < GRID; r++) {
    point[1] = y1 - ((r + 0.5) / GRID) * (y1 - y0);
    for (let c = 0; c < GRID; c++) {
      point[0] = x0 + ((c + 0.5) / GRID) * (x1 - x0);
      const p = sigmoid(scoreCompiled(layers, point));
      const rgb = REGION_RGB[p > 0.5 ? 1 : 0];
      const strength = 0.35 + 0.65 * Math.abs(2 * p - 1); // paler where the network is unsure
      const k = 4 * (r * GRID + c);
      for (let i = 0; i < 3; i++) image.data[k + i] = 255 + (rgb[i] - 255) * strength;
      image.data[k + 3] = 255;
    }
  }
  return image;
}

const MARKUP = `
<div class="cr-bar">
  <button class="cr-play" type="button">play</button>
  <button class="cr-step" type="button">step</button>
  <button class="cr-reset" type="button">reset</button>
  <span class="cr-status">waiting for the kernel: run the cell that made this Playground</span>
</div>
<div class="cr-main">
  <canvas class="cr-regions" width="320" height="320"></canvas>
  <div class="cr-side">
    <label>data <select class="cr-data" data-setting="data"></select></label>
    <label>noise <input class="cr-noise" data-setting="noise" size="5"></label>
    <label>hidden <input class="cr-hidden" data-setting="hidden" size="9"></label>
    <label>activation <select class="cr-activation" data-setting="activation"></select></label>
    <label>optimizer <select class="cr-optimizer" data-setting="optimizer"></select></label>
    <label>learning rate <input class="cr-lr" data-setting="lr" size="6"></label>
    <canvas class="cr-loss" width="260" height="120"></canvas>
  </div>
</div>
<div class="cr-message"></div>
<div class="cr-hint">click: a point of class 0 (orange) &middot; shift-click: class 1 (blue)</div>
`;

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "cr-playground";
  root.innerHTML = MARKUP;
  el.appendChild(root);
  const find = (name) => root.querySelector(".cr-" + name);
  const regions = find("regions");
  const lossCanvas = find("loss");
  const viewer = Math.random().toString(36).slice(2); // which requests are this view's own

  let state = null; // the kernel's last word: gen, settings, points, labels, weights, ...
  let playing = false;
  let waiting = false; // a step request of this view is on its way
  let frames = 0;
  let pending = []; // clicked points the kernel has not acknowledged yet
  let clicks = 0;
  const times = []; // when the last frames were drawn
  const drawn = []; // [generation, step] of the last frames drawn, for tests to read
  root.drawn = drawn;

  function request() {
    if (waiting || state === null) return;
    waiting = true;
    model.send({ type: "step", gen: state.gen, viewer: viewer });
  }

  function setPlaying(on) {
    playing = on;
    find("play").textContent = on ? "pause" : "play";
    if (on) request();
  }

  function show(message, level) {
    const box = find("message");
    box.textContent = message || "";
    box.dataset.level = level || "";
  }

  function fillControls() {
    for (const [name, choices] of Object.entries(state.choices)) {
      const select = find(name);
      if (select.options.length !== choices.length) {
        select.innerHTML = choices.map((c) => `<option value="${c}">${c}</option>`).join("");
      }
    }
    const s = state.settings;
    const text = { ...s, hidden: s.hidden.join(", ") };
    // The kernel's values, always: a refused value goes back to the one in force.
    for (const input of root.querySelectorAll("[data-setting]")) {
      input.value = String(text[input.dataset.setting]);
    }
  }

  function drawRegions() {
    const ctx = regions.getContext("2d");
    const [x0, x1, y0, y1] = state.view;
    const tile = document.createElement("canvas");
    tile.width = tile.height = GRID;
    const net = { weights: state.weights, activation: state.settings.activation };
    tile.getContext("2d").putImageData(regionsImage(net, state.view), 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tile, 0, 0, regions.width, regions.height);
    const toPixel = (x, y) => [
      ((x - x0) / (x1 - x0)) * regions.width,
      ((y1 - y) / (y1 - y0)) * regions.height,
    ];
    const dot = (x, y, label, hollow) => {
      const [px, py] = toPixel(x, y);
      ctx.beginPath();
      ctx.arc(px, py, 4, 0, 2 * Math.PI);
      ctx.fillStyle = hollow ? "white" : CLASS_COLOURS[label];
      ctx.strokeStyle = hollow ? CLASS_COLOURS[label] : "white";
      ctx.lineWidth = hollow ? 2 : 1;
      ctx.fill();
      ctx.stroke();
    };
    state.points.forEach((p, i) => dot(p[0], p[1], state.labels[i], false));
    pending.forEach((p) => dot(p.x, p.y, p.label, true));
  }

  function drawLoss() {
    const ctx = lossCanvas.getContext("2d");
    const w = lossCanvas.width;
    const h = lossCanvas.height;
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = "#bbb";
    ctx.strokeRect(0.5, 0.5, w - 1, h - 1);
    const losses = state.losses;
    if (losses.length === 0) return;
    const top = losses.reduce((a, b) => Math.max(a, b), 0) || 1;
    ctx.beginPath();
    losses.forEach((loss, i) => {
      const x = losses.length === 1 ? 0 : (i / (losses.length - 1)) * (w - 4) + 2;
      const y = h - 4 - (loss / top) * (h - 8);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.strokeStyle = "#333";
    ctx.lineWidth = 1.5;
    ctx.stroke();
    ctx.fillStyle = "#555";
    ctx.font = "11px sans-serif";
    ctx.fillText(`loss (max ${top.toPrecision(3)})`, 6, 14);
  }

  function draw() {
    const start = performance.now();
    drawRegions();
    drawLoss();
    const losses = state.losses;
    const loss = losses.length ? losses[losses.length - 1] : null;
    const fps = times.length > 1 ? ((times.length - 1) * 1000) / (times[times.length - 1] - times[0]) : 0;
    root.dataset.gen = state.gen;
    root.dataset.step = state.step;
    root.dataset.loss = loss === null ? "" : loss;
    root.dataset.frames = frames;
    root.dataset.fps = fps.toFixed(1);
    root.dataset.points = state.points.length;
    root.dataset.drawMs = (performance.now() - start).toFixed(1); // the page's share of a frame
    find("status").textContent =
      `step ${state.step} · loss ${loss === null ? "-" : loss.toFixed(4)} · ` +
      `${state.points.length} points · frame ${frames} · ${fps.toFixed(1)} frames/s`;
  }

  function onMessage(msg) {
    if (msg.type === "state") {
      state = msg;
      if (msg.viewer === viewer) pending = pending.filter((p) => p.id > msg.click);
      fillControls();
      show(msg.message, msg.level);
      draw();
      if (msg.level === "diverged") setPlaying(false);
      else if (playing) request();
      return;
    }
    if (state === null) return; // nothing of ours yet: the state message comes first
    if (msg.type === "points") {
      if (msg.gen === state.gen) {
        state.points = msg.points;
        state.labels = msg.labels;
      }
      if (msg.viewer === viewer) pending = pending.filter((p) => p.id > msg.click);
      show(msg.message, msg.level);
      draw();
    } else if (msg.type === "frame") {
      const mine = msg.viewer === viewer;
      if (mine) waiting = false;
      if (msg.gen === state.gen) {
        // A frame of the current generation: draw it. Any other is stale, and dropped.
        state.weights = msg.weights;
        state.step = msg.step;
        if (msg.loss !== null) state.losses.push(msg.loss);
        frames += 1;
        drawn.push([msg.gen, msg.step]);
        if (drawn.length > 500) drawn.shift();
        times.push(performance.now());
        if (times.length > 20) times.shift();
        show(msg.message, msg.level);
        draw();
      }
      if (msg.level === "diverged") setPlaying(false);
      else if (mine && playing) request();
    }
  }

  model.on("msg:custom", onMessage);
  find("play").addEventListener("click", () => setPlaying(!playing));
  find("step").addEventListener("click", () => request());
  find("reset").addEventListener("click", () => model.send({ type: "reset" }));
  for (const input of root.querySelectorAll("[data-setting]")) {
    // Sent as the learner typed it: the kernel reads it, checks it, and answers with its state.
    input.addEventListener("change", () =>
      model.send({ type: "configure", settings: { [input.dataset.setting]: input.value } }),
    );
  }
  regions.addEventListener("click", (event) => {
    if (state === null) return;
    const box = regions.getBoundingClientRect();
    const [x0, x1, y0, y1] = state.view;
    const x = x0 + ((event.clientX - box.left) / box.width) * (x1 - x0);
    const y = y1 - ((event.clientY - box.top) / box.height) * (y1 - y0);
    clicks += 1;
    const point = { id: clicks, x: x, y: y, label: event.shiftKey ? 1 : 0 };
    pending.push(point);
    model.send({ type: "add", viewer: viewer, ...point });
    draw();
  });
  model.send({ type: "hello" });
  return () => {
    playing = false;
    model.off("msg:custom", onMessage);
  };
}

export default { render };
