// The stepper page's script: a function of the page's <div>, called once by the page.
// Each step lists the texts it changes; showing step k replays the changes of steps 0..k, so
// any step can be shown directly (the slider, Home, End) and going back needs no undo.
// The page arrives as a still picture (what an untrusted notebook shows, scripts removed) and
// the live page's markup in a <script type="text/html">: the still gives way to it here.
(function (box) {
  box.querySelector(".cr-still").remove();
  box.insertAdjacentHTML("afterbegin", box.querySelector("script.cr-live").textContent);
  const steps = JSON.parse(box.querySelector("script.cr-steps").textContent);
  const nodes = {};
  for (const g of box.querySelectorAll("g.node")) {
    const texts = g.querySelectorAll("text");
    nodes[g.querySelector("title").textContent] = {
      g: g, data: texts[texts.length - 2], grad: texts[texts.length - 1]
    };
  }
  const graph = box.querySelector(".cr-graph");
  const slider = box.querySelector(".cr-slider");
  const count = box.querySelector(".cr-count");
  const text = box.querySelector(".cr-text");
  const play = box.querySelector(".cr-play");
  const speed = box.querySelector(".cr-speed");
  const last = steps.length - 1;
  let shown = 0;
  let timer = null;

  // Keep the step's nodes in view: the current node with the nodes it reads or sends to when
  // they fit in the graph's box together, else the current node. First the graph's own box
  // scrolls, then, if they are still outside what the reader sees (JupyterLab scrolls the
  // notebook around the page), the nearest box around the page that scrolls, by what it takes.
  function bounds(names) {
    let left = Infinity, right = -Infinity, top = Infinity, bottom = -Infinity;
    for (const name of names) {
      const r = nodes[name].g.getBoundingClientRect();
      left = Math.min(left, r.left); right = Math.max(right, r.right);
      top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
    }
    return {left: left, right: right, top: top, bottom: bottom};
  }
  // How far to scroll so that [low, high] lies within [start, end]: nothing when it does, else
  // to its middle (or, `nearest`, by no more than it takes), or to its start when it is longer
  // than the view.
  function shift(low, high, start, end, nearest) {
    if (low >= start && high <= end) return 0;
    if (high - low > end - start || (nearest && low < start)) return low - start;
    return nearest ? high - end : (low + high) / 2 - (start + end) / 2;
  }
  function scroller(element) {
    for (let up = element.parentElement; up !== null; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowY;
      if ((overflow === "auto" || overflow === "scroll") && up.scrollHeight > up.clientHeight) {
        return up;
      }
    }
    return document.scrollingElement;
  }
  function follow(focus, targets) {
    if (focus.length === 0) return;
    const view = graph.getBoundingClientRect();
    const width = graph.clientWidth, height = graph.clientHeight;
    let names = focus.concat(targets);
    let want = bounds(names);
    if (want.right - want.left > width || want.bottom - want.top > height) {
      names = focus;
      want = bounds(names);
    }
    graph.scrollLeft += shift(want.left, want.right, view.left, view.left + width, false);
    graph.scrollTop += shift(want.top, want.bottom, view.top, view.top + height, false);
    const outer = scroller(box);
    const area = outer === document.scrollingElement
      ? {top: 0, bottom: window.innerHeight} : outer.getBoundingClientRect();
    want = bounds(names);
    const top = Math.max(area.top, 0), bottom = Math.min(area.bottom, window.innerHeight);
    outer.scrollTop += shift(want.top, want.bottom, top, bottom, true);
  }

  function show(k) {
    k = Math.max(0, Math.min(last, k));
    for (const name in nodes) nodes[name].g.classList.remove("cr-focus", "cr-target");
    for (let i = 0; i <= k; i++) {
      for (const change of steps[i].changes) {
        const field = nodes[change.node][change.field];
        field.textContent = change.text;
        field.setAttribute("class", change.look);
      }
    }
    for (const name of steps[k].focus) nodes[name].g.classList.add("cr-focus");
    for (const name of steps[k].targets) nodes[name].g.classList.add("cr-target");
    shown = k;
    slider.value = k;
    count.textContent = "step " + (k + 1) + " of " + steps.length;
    text.textContent = steps[k].text;
    follow(steps[k].focus, steps[k].targets);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    play.textContent = "\u25b6 play";
  }
  function start() {
    if (shown === last) show(0);
    clearInterval(timer);
    timer = setInterval(() => (shown < last ? show(shown + 1) : stop()), Number(speed.value));
    play.textContent = "\u275a\u275a pause";
  }

  box.querySelector(".cr-prev").addEventListener("click", () => show(shown - 1));
  box.querySelector(".cr-next").addEventListener("click", () => show(shown + 1));
  slider.addEventListener("input", () => show(Number(slider.value)));
  play.addEventListener("click", () => (timer === null ? start() : stop()));
  speed.addEventListener("change", () => { if (timer !== null) start(); });
  const keys = {
    ArrowRight: () => show(shown + 1), ArrowDown: () => show(shown + 1),
    ArrowLeft: () => show(shown - 1), ArrowUp: () => show(shown - 1),
    Home: () => show(0), End: () => show(last),
  };
  box.addEventListener("keydown", (event) => {
    // The slider and the speed menu keep their own arrow keys; space on a button clicks it.
    const own = event.target === slider || event.target === speed;
    if (keys[event.key] && !own) {
      keys[event.key]();
    } else if (event.key === " " && event.target === box) {
      timer === null ? start() : stop();
    } else {
      return;
    }
    event.preventDefault();
  });
  show(0);
  if (box.dataset.autoplay === "true") start();
})
