/* graphviz_nn step player: every step of a forward and backward pass in the page.
 *
 * GnnPlayer.mount(root, data, options) draws data.drawing (one drawing plus what changes per
 * step, see graphviz_nn/export/player/chunks.py) and steps through it without any server: Prev, Next,
 * Play/Pause with a speed, a slider, the keys Left, Right, Space, Home and End; the caption
 * of each step in words and LaTeX (KaTeX when the page has it); fit, zoom and pan, and the view
 * follows the node or edge the step works on; a click on a node or edge opens the inspector;
 * a click on a trace-table row jumps to its step.
 *
 * The player opens on the whole drawing ("All": the whole drawing at any size), a drawing without
 * steps (the neuron view) at Fit. Fit shows the whole drawing when its node and edge labels stay
 * readable there (at least READABLE_PX CSS pixels); a drawing
 * too large for that is shown at the smallest scale that keeps them readable (the whole width or
 * height when that scale allows it), centred on the step's node, and the view follows the
 * highlighted node from step to step.
 *
 * Every text from the data goes into the page with textContent or through KaTeX; the only
 * markup inserted is the SVG the layout program wrote (its labels escaped) and KaTeX's output.
 * options: fill (take the whole window), height (px), start (first step shown),
 * onStep(k) (called after every step), keys (element whose key presses step; default document).
 */
(function (global) {
  'use strict';

  var SPEEDS = [0.5, 1, 2, 5, 10];
  var MIN_SCALE = 0.05, MAX_SCALE = 8, FIT_MAX = 1.5, MARGIN = 12;
  /* The smallest node or edge label a fitted drawing shows, in CSS pixels. */
  var READABLE_PX = 10, SNAP = 1.25;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function button(label, title, cls) {
    var b = el('button', 'gnn-btn' + (cls ? ' ' + cls : ''), label);
    b.type = 'button';
    b.title = title;
    b.setAttribute('aria-label', title);
    return b;
  }

  /* KaTeX's markup per LaTeX string, the TEX_CACHE_MAX used last kept (a Map keeps insertion
     order: a hit moves its entry to the end, the oldest entry goes first). Every new value,
     step or edit brings new strings, so an unbounded cache would grow for as long as the page
     stays open. */
  var TEX_CACHE_MAX = 3000;
  var texCache = new Map();
  function texHtml(latex) {
    var html = texCache.get(latex);
    if (html !== undefined) {
      texCache.delete(latex);
      texCache.set(latex, html);
      return html;
    }
    try {
      html = global.katex.renderToString(latex, { throwOnError: false, displayMode: false, trust: false });
    } catch (err) { html = null; }
    texCache.set(latex, html);
    if (texCache.size > TEX_CACHE_MAX) texCache.delete(texCache.keys().next().value);
    return html;
  }

  /* Captions typeset ahead, while the page is idle, so a step only swaps in finished markup:
     those of the steps just before the shown one and WARM_AHEAD after it (a pass of thousands of
     steps is not typeset whole: a step's caption takes about a millisecond). */
  var WARM_BEHIND = 8, WARM_AHEAD = 48;
  var later = global.requestIdleCallback ? function (fn) { global.requestIdleCallback(fn); }
    : function (fn) { setTimeout(function () { fn({ timeRemaining: function () { return 8; } }); }, 50); };

  function typeset(target, latex, plain) {
    target.textContent = '';
    if (!latex) { target.textContent = plain || ''; return; }
    if (global.katex) {
      var html = texHtml(latex);
      if (html !== null) { target.innerHTML = html; return; }  // KaTeX's own escaped output
    }
    target.textContent = plain || latex;
  }

  function Player(root, data, options) {
    this.root = root;
    this.data = data;
    this.options = options || {};
    this.n = data.n;
    this.k = Math.max(0, Math.min(this.n, this.options.start === undefined ? this.n : this.options.start));
    this.playing = false;
    this.speed = 2;
    this.timer = null;
    this.scale = 1; this.tx = 0; this.ty = 0;
    this.shownFrame = null;
    this.inspected = null;
    this.build();
    this.draw(this.k);
    // A pass opens on the whole drawing; a drawing without steps (the neuron view, whose point is
    // its weight labels) at Fit, its labels readable. Fitted again when the view gets its size.
    this.autoFit = this.n ? 'all' : 'fit';
    this.fit(this.autoFit === 'all');
    this.update();
    this.warm();
  }

  /* Typeset the captions near the shown step in idle time (one idle task at a time). */
  Player.prototype.warm = function () {
    var self = this, steps = this.data.steps;
    this.warmNext = Math.max(0, this.k - WARM_BEHIND);
    this.warmEnd = Math.min(steps.length, this.k + WARM_AHEAD + 1);
    if (!global.katex || this.warming) return;
    var work = function (deadline) {
      self.warming = false;
      if (self.gone) return;
      while (self.warmNext < self.warmEnd && deadline.timeRemaining() > 2) {
        var step = steps[self.warmNext];
        if (step && step.latex) texHtml(step.latex);
        self.warmNext += 1;
      }
      if (self.warmNext < self.warmEnd) { self.warming = true; later(work); }
    };
    this.warming = true;
    later(work);
  };

  Player.prototype.build = function () {
    var self = this, root = this.root, data = this.data;
    root.textContent = '';
    root.classList.add('gnn-player', data.dark ? 'gnn-dark' : 'gnn-light');
    if (this.options.fill) root.classList.add('gnn-fill');
    if (this.options.height) root.style.height = this.options.height + 'px';
    if (!this.n) root.classList.add('gnn-static');
    root.tabIndex = -1;

    var bar = el('div', 'gnn-bar');
    this.prevBtn = button('◀ Prev', 'Previous step (←)');
    this.playBtn = button('▶ Play', 'Play / Pause (space)', 'gnn-play');
    this.nextBtn = button('Next ▶', 'Next step (→)');
    this.speedSel = el('select', 'gnn-speed');
    this.speedSel.title = 'Steps per second while playing';
    this.speedSel.setAttribute('aria-label', 'Speed');
    SPEEDS.forEach(function (s) {
      var o = el('option', null, s + ' steps/s');
      o.value = String(s);
      if (s === self.speed) o.selected = true;
      self.speedSel.appendChild(o);
    });
    this.slider = el('input', 'gnn-slider');
    this.slider.type = 'range';
    this.slider.min = '0';
    this.slider.max = String(this.n);
    this.slider.step = '1';
    this.slider.setAttribute('aria-label', 'Step');
    this.counter = el('span', 'gnn-counter');
    this.counter.setAttribute('aria-live', 'polite');
    var zoom = el('span', 'gnn-zoom');
    this.zoomOut = button('−', 'Zoom out (-)');
    this.zoomIn = button('+', 'Zoom in (+)');
    this.fitBtn = button('Fit', 'Fit the graph, as large as its labels stay readable (f)');
    this.allBtn = button('All', 'The whole graph, however small (a)');
    this.realBtn = button('100 %', 'Actual size (0)');
    [this.zoomOut, this.zoomIn, this.fitBtn, this.allBtn, this.realBtn].forEach(function (b) { zoom.appendChild(b); });
    [this.prevBtn, this.playBtn, this.nextBtn, this.speedSel, this.slider, this.counter]
      .forEach(function (x) { x.classList.add('gnn-step-ctl'); bar.appendChild(x); });

    var caption = el('div', 'gnn-caption');
    this.capTitle = el('div', 'gnn-cap-title');
    this.capTex = el('div', 'gnn-cap-tex');
    this.capWords = el('div', 'gnn-cap-words');
    caption.appendChild(this.capTitle); caption.appendChild(this.capTex); caption.appendChild(this.capWords);

    this.view = el('div', 'gnn-view');
    this.stage = el('div', 'gnn-stage');
    this.view.appendChild(this.stage);

    var side = el('div', 'gnn-side');
    this.inspector = el('div', 'gnn-inspector');
    this.inspector.appendChild(el('div', 'gnn-hint', 'Click a node or an edge to see where its number comes from.'));
    var tableBox = el('div', 'gnn-table-box');
    var table = el('table', 'gnn-trace');
    var head = el('tr');
    ['#', 'phase', 'step', 'equation', 'value', 'gradient'].forEach(function (h) { head.appendChild(el('th', null, h)); });
    var thead = el('thead'); thead.appendChild(head); table.appendChild(thead);
    var tbody = el('tbody');
    table.appendChild(tbody);
    tableBox.appendChild(table);
    this.tableBox = tableBox;
    this.tbody = tbody;
    this.table = new TraceTable(tableBox, tbody, data.rows);
    side.appendChild(this.inspector);
    side.appendChild(tableBox);

    // the zoom buttons float over the drawing's corner: the toolbar keeps to one row
    root.appendChild(bar); root.appendChild(caption); root.appendChild(this.view); root.appendChild(zoom);
    root.appendChild(side);

    this.prevBtn.addEventListener('click', function () { self.stop(); self.go(self.k - 1); });
    this.nextBtn.addEventListener('click', function () { self.stop(); self.go(self.k + 1); });
    this.playBtn.addEventListener('click', function () { self.toggle(); });
    this.speedSel.addEventListener('change', function () {
      self.speed = parseFloat(self.speedSel.value);
      if (self.playing) { self.stop(); self.play(); }
    });
    this.slider.addEventListener('input', function () { self.stop(); self.go(parseInt(self.slider.value, 10)); });
    this.zoomIn.addEventListener('click', function () { self.zoomBy(1.25); });
    this.zoomOut.addEventListener('click', function () { self.zoomBy(0.8); });
    this.fitBtn.addEventListener('click', function () { self.fit(); });
    this.allBtn.addEventListener('click', function () { self.fit(true); });
    this.realBtn.addEventListener('click', function () { self.actualSize(); });
    tbody.addEventListener('click', function (ev) {
      var tr = ev.target.closest('tr');
      if (tr && tr.dataset.step) { self.stop(); self.go(parseInt(tr.dataset.step, 10)); }
    });
    this.bindView();
    this.keyTarget = this.options.keys || document;
    this.onKeyDown = function (ev) { self.onKey(ev); };
    this.onResize = function () { if (self.autoFit) self.fit(self.autoFit === 'all', true); };
    this.keyTarget.addEventListener('keydown', this.onKeyDown);
    global.addEventListener('resize', this.onResize);
    // The caption takes the lines it needs, so the drawing's box changes height between steps:
    // a fitted drawing fits again.
    this.viewObserver = global.ResizeObserver ? new global.ResizeObserver(this.onResize) : null;
    if (this.viewObserver) this.viewObserver.observe(this.view);
  };

  Player.prototype.destroy = function () {
    this.gone = true;
    this.stop();
    this.table.destroy();
    this.keyTarget.removeEventListener('keydown', this.onKeyDown);
    global.removeEventListener('resize', this.onResize);
    if (this.viewObserver) this.viewObserver.disconnect();
    this.root.textContent = '';
    delete this.root.dataset.updates;
  };

  /* The same drawing with other numbers: the same steps, pieces and piece orders, in the same
     colours and frame height (its size may differ: labels with other numbers are wider). */
  Player.prototype.sameShape = function (data, options) {
    var a = this.data.drawing, b = data.drawing;
    var same = function (x, y) { return JSON.stringify(x) === JSON.stringify(y); };
    return !this.gone && data.n === this.n && !!data.dark === !!this.data.dark &&
      (options.height || null) === (this.options.height || null) &&
      same(a.keys, b.keys) && same(a.orders, b.orders);
  };

  /* The drawing's size and the graph group's place from another SVG head (pieces kept). */
  Player.prototype.setHead = function (head) {
    var box = document.createElement('div');
    box.innerHTML = head + '</g></svg>';  // the layout program's SVG tag
    var svg = box.querySelector('svg'), graph = svg && svg.querySelector('g');
    if (!svg || !graph) return;
    ['width', 'height', 'viewBox'].forEach(function (name) {
      var v = svg.getAttribute(name);
      if (v !== null) this.svg.setAttribute(name, v); else this.svg.removeAttribute(name);
    }, this);
    var own = this.svg.querySelector('g'), t = graph.getAttribute('transform');
    if (own && t !== null) own.setAttribute('transform', t);
  };

  /* Show ``data`` at step ``options.start`` in place when it has the shape of the data shown
     (:meth:`sameShape`): only the pieces whose SVG text changed are swapped, the captions, trace
     table and inspector show the new numbers, and the view (zoom, pan) stays as it is; a fitted
     view is fitted again only when the drawing's size changed. Returns false, changing
     nothing, when the shapes differ (mount a new player then). */
  Player.prototype.replace = function (data, options) {
    options = options || {};
    if (!this.sameShape(data, options)) return false;
    var old = this.data.drawing, shown = this.shownFrame, resized = false;
    this.stop();
    this.data = data;
    this.options.onStep = options.onStep || this.options.onStep;
    var k = Math.max(0, Math.min(this.n, options.start === undefined ? this.k : options.start));
    this.k = k;
    var frame = this.frameAt(k), d = data.drawing;
    frame.k = k;
    if (!shown || shown.o !== frame.o) {
      this.shownFrame = null;
      this.draw(k);
      resized = true;
    } else {
      if (old.heads[shown.h] !== d.heads[frame.h]) { this.setHead(d.heads[frame.h]); resized = true; }
      var keys = d.orders[frame.o];
      for (var j = 0; j < keys.length; j++) {
        var text = d.versions[keys[j]][frame.v[j]];
        if (old.versions[keys[j]][shown.v[j]] !== text) this.pieces[j].innerHTML = text;
      }
      this.shownFrame = frame;
      this.markInspected();
      if (resized) this.sizeSvg();
    }
    var box = this.tableBox, top = box.scrollTop;
    this.table.destroy();
    this.tbody.textContent = '';
    this.table = new TraceTable(box, this.tbody, data.rows);
    box.scrollTop = top;
    this.update();
    // fitted after every change to the page, so the page is laid out once
    if (resized && this.autoFit) this.fit(this.autoFit === 'all', true);
    this.warm();
    if (this.inspected) {
      var still = this.inspectedKind === 'node' ? data.nodes[this.inspected] : data.edges[this.inspected];
      if (still) this.inspect(this.inspectedKind, this.inspected);
    }
    this.root.dataset.updates = String((parseInt(this.root.dataset.updates, 10) || 0) + 1);
    return true;
  };

  Player.prototype.onKey = function (ev) {
    var t = ev.target;
    var tag = t && t.tagName ? t.tagName.toLowerCase() : '';
    if (tag === 'input' && t !== this.slider) return;
    if (tag === 'textarea' || tag === 'select' || (t && t.isContentEditable)) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var k = ev.key, handled = true;
    if (tag === 'button' && (k === ' ' || k === 'Enter')) return;  // the focused button's own click
    if (k === 'ArrowRight') { this.stop(); this.go(this.k + 1); }
    else if (k === 'ArrowLeft') { this.stop(); this.go(this.k - 1); }
    else if (k === ' ' || k === 'Spacebar') this.toggle();
    else if (k === 'Home') { this.stop(); this.go(0); }
    else if (k === 'End') { this.stop(); this.go(this.n); }
    else if (k === '+' || k === '=') this.zoomBy(1.25);
    else if (k === '-') this.zoomBy(0.8);
    else if (k === 'f') this.fit();
    else if (k === 'a') this.fit(true);
    else if (k === '0') this.actualSize();
    else handled = false;
    if (handled) ev.preventDefault();
  };

  /* ---------------------------------------------------------------- drawing */

  /* The version of every piece at step k: a frame lists them all ("v"), or only what changed
     since the step before ("d": piece, version, piece, version, ...). */
  Player.prototype.frameAt = function (k) {
    var frames = this.data.drawing.frames, j = k;
    while (j > 0 && !frames[j].v) j -= 1;
    var v = frames[j].v.slice(), h = frames[j].h, o = frames[j].o;
    for (var i = j + 1; i <= k; i++) {
      var d = frames[i].d;
      for (var p = 0; p < d.length; p += 2) v[d[p]] = d[p + 1];
    }
    return { h: h, o: o, v: v };
  };

  Player.prototype.draw = function (k) {
    var d = this.data.drawing, frame;
    var shown = this.shownFrame;
    if (shown && k === shown.k + 1 && d.frames[k].d) {  // the next step: only its changes
      frame = { h: shown.h, o: shown.o, v: shown.v.slice() };
      var delta = d.frames[k].d;
      for (var p = 0; p < delta.length; p += 2) frame.v[delta[p]] = delta[p + 1];
    } else {
      frame = this.frameAt(k);
    }
    frame.k = k;
    if (!shown || shown.h !== frame.h || shown.o !== frame.o) {
      this.stage.innerHTML = d.heads[frame.h] + '</g></svg>';  // the layout program's SVG tag
      this.svg = this.stage.querySelector('svg');
      var graph = this.svg.querySelector('g');
      var order = d.orders[frame.o];
      this.pieces = [];
      for (var i = 0; i < order.length; i++) {
        var g = document.createElementNS('http://www.w3.org/2000/svg', 'g');
        g.setAttribute('class', 'gnn-piece');
        g.innerHTML = d.versions[order[i]][frame.v[i]];
        graph.appendChild(g);
        this.pieces.push(g);
      }
      this.sizeSvg();
    } else {
      var keys = d.orders[frame.o];
      for (var j = 0; j < keys.length; j++) {
        if (shown.v[j] !== frame.v[j]) this.pieces[j].innerHTML = d.versions[keys[j]][frame.v[j]];
      }
    }
    this.shownFrame = frame;
    this.markInspected();
  };

  Player.prototype.sizeSvg = function () {
    var vb = (this.svg.getAttribute('viewBox') || '').split(/[\s,]+/).map(parseFloat);
    var w = vb.length === 4 ? vb[2] : parseFloat(this.svg.getAttribute('width'));
    var h = vb.length === 4 ? vb[3] : parseFloat(this.svg.getAttribute('height'));
    this.width = w * 4 / 3;  // points to CSS pixels
    this.height = h * 4 / 3;
    this.svg.setAttribute('width', String(this.width));
    this.svg.setAttribute('height', String(this.height));
    this.svg.style.display = 'block';
    // the smallest font of the node and edge labels, in the drawing's points
    var least = Infinity;
    this.svg.querySelectorAll('g.node text, g.edge text').forEach(function (t) {
      var size = parseFloat(t.getAttribute('font-size'));
      if (size > 0 && size < least && t.textContent.trim()) least = size;
    });
    this.labelPx = isFinite(least) ? least * 4 / 3 : 0;
  };

  /* ---------------------------------------------------------------- stepping */

  Player.prototype.go = function (k) {
    k = Math.max(0, Math.min(this.n, k | 0));
    if (k === this.k && this.shownFrame) { this.update(); return; }
    this.k = k;
    this.draw(k);
    this.update();
    this.follow();
    this.warm();
    if (this.inspected) this.inspect(this.inspectedKind, this.inspected);
    if (this.options.onStep) this.options.onStep(k, this.playing);
  };

  Player.prototype.update = function () {
    var step = this.data.steps[this.k] || {};
    this.slider.value = String(this.k);
    this.counter.textContent = 'step ' + this.k + ' of ' + this.n;
    this.prevBtn.disabled = this.k <= 0;
    this.nextBtn.disabled = this.k >= this.n;
    this.playBtn.textContent = this.playing ? '❚❚ Pause' : '▶ Play';
    this.root.dataset.step = String(this.k);
    this.capTitle.textContent = 'Step ' + this.k + ' of ' + this.n + ' — ' + (step.title || '');
    typeset(this.capTex, step.latex, step.plain);
    this.capWords.textContent = step.words || '';
    var row = this.table.mark(this.k - 1);
    if (row) {
      var box = this.tableBox;
      var head = box.querySelector('thead');
      var top = row.offsetTop - (head ? head.offsetHeight : 0), bottom = row.offsetTop + row.offsetHeight;
      if (top < box.scrollTop || bottom > box.scrollTop + box.clientHeight) {
        box.scrollTop = Math.max(0, row.offsetTop - box.clientHeight / 2);
      }
    }
  };

  Player.prototype.play = function () {
    var self = this;
    if (this.k >= this.n) this.go(0);
    this.playing = true;
    this.update();
    var started = performance.now(), done = 0;
    var tick = function () {
      if (!self.playing) return;
      if (self.k >= self.n) { self.stop(); return; }
      done += 1;
      self.go(self.k + 1);
      if (self.k >= self.n) { self.stop(); return; }
      var next = started + done * 1000 / self.speed;  // a steady beat, not drifting with work
      self.timer = setTimeout(tick, Math.max(0, next - performance.now()));
    };
    this.timer = setTimeout(tick, 1000 / this.speed);
  };

  Player.prototype.stop = function () {
    var was = this.playing;
    this.playing = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (was) {
      this.update();
      if (this.options.onStep) this.options.onStep(this.k, false);
    }
  };

  Player.prototype.toggle = function () { if (this.playing) this.stop(); else this.play(); };

  /* ---------------------------------------------------------------- fit, zoom, pan, follow */

  Player.prototype.apply = function () {
    this.stage.style.transform = 'translate(' + this.tx + 'px,' + this.ty + 'px) scale(' + this.scale + ')';
    this.root.dataset.scale = this.scale.toFixed(4);
  };

  /* The scale that fits: the whole drawing when its labels stay readable there (or ``whole``);
     else the smallest scale that keeps them readable, or a little more (up to SNAP times) when
     that shows the drawing's whole width or height. */
  Player.prototype.fitScale = function (whole) {
    var vw = this.view.clientWidth, vh = this.view.clientHeight;
    var byWidth = (vw - 2 * MARGIN) / this.width, byHeight = (vh - 2 * MARGIN) / this.height;
    var all = Math.min(byWidth, byHeight, FIT_MAX);
    var readable = this.labelPx ? READABLE_PX / this.labelPx : 0;
    if (whole || all >= readable) return Math.max(MIN_SCALE, all);
    var one = [byWidth, byHeight].filter(function (s) { return s >= readable && s <= readable * SNAP; });
    return Math.min(FIT_MAX, one.length ? Math.min.apply(null, one) : readable);
  };

  /* Fit (``whole``: the whole drawing at any size). ``resized``: the view changed size (the
     caption took another line): a part of the drawing already shown stays where it is, only
     kept over the view and on the step's node. */
  Player.prototype.fit = function (whole, resized) {
    var vw = this.view.clientWidth, vh = this.view.clientHeight;
    if (!vw || !vh || !this.width) return;
    var scale = this.fitScale(whole), again = resized && this.root.dataset.fit === 'part' && scale === this.scale;
    this.scale = scale;
    this.autoFit = whole ? 'all' : 'fit';
    var part = this.width * this.scale > vw + 0.5 || this.height * this.scale > vh + 0.5;
    this.root.dataset.fit = part ? 'part' : 'whole';
    if (part && again) {
      this.clamp();
      this.apply();
      this.follow();
      return;
    }
    this.tx = (vw - this.width * this.scale) / 2;
    this.ty = (vh - this.height * this.scale) / 2;
    this.apply();  // the step's node measured at the new scale
    if (part) this.centre(this.focusNode());
  };

  /* Keep the drawing over the view where it is larger than the view, centred where smaller. */
  Player.prototype.clamp = function () {
    var vw = this.view.clientWidth, vh = this.view.clientHeight;
    var w = this.width * this.scale, h = this.height * this.scale;
    this.tx = w + 2 * MARGIN <= vw ? (vw - w) / 2 : Math.min(MARGIN, Math.max(vw - w - MARGIN, this.tx));
    this.ty = h + 2 * MARGIN <= vh ? (vh - h) / 2 : Math.min(MARGIN, Math.max(vh - h - MARGIN, this.ty));
  };

  /* Move the view so ``target`` is in its middle (as far as the drawing's edges allow); with no
     target, the start of the drawing (its left or top end). */
  Player.prototype.centre = function (target, quiet) {
    var v = this.view.getBoundingClientRect();
    if (target) {
      this.apply();
      var r = target.getBoundingClientRect();
      if (!r.width && !r.height) return;
      this.tx += (v.left + v.width / 2) - (r.left + r.width / 2);
      this.ty += (v.top + v.height / 2) - (r.top + r.height / 2);
    } else {
      this.tx = MARGIN;
      this.ty = MARGIN;
    }
    this.clamp();
    if (!quiet) this.apply();
  };

  /* What the step works on, to keep in view: its node, or its edge; an edge longer than the
     view stands for its tail node (the one the gradient flows back to). */
  Player.prototype.focusNode = function () {
    var step = this.data.steps[this.k];
    var target = step ? this.find(step.focus) : null;
    if (!target || !target.classList.contains('edge')) return target;
    var r = target.getBoundingClientRect(), v = this.view.getBoundingClientRect();
    var tail = /^(n\d+)-n\d+-\d+$/.exec(target.id);
    if (r.width <= v.width && r.height <= v.height) return target;
    return (tail && this.find(tail[1])) || target;
  };

  Player.prototype.actualSize = function () {
    this.zoomAt(1 / this.scale, this.view.clientWidth / 2, this.view.clientHeight / 2);
  };

  Player.prototype.zoomBy = function (f) { this.zoomAt(f, this.view.clientWidth / 2, this.view.clientHeight / 2); };

  Player.prototype.zoomAt = function (f, cx, cy) {
    var s = Math.max(MIN_SCALE, Math.min(MAX_SCALE, this.scale * f));
    f = s / this.scale;
    this.tx = cx - (cx - this.tx) * f;
    this.ty = cy - (cy - this.ty) * f;
    this.scale = s;
    this.autoFit = false;
    this.apply();
  };

  Player.prototype.find = function (id) {
    if (!id || !this.svg) return null;
    var found = null;
    this.svg.querySelectorAll('g[id]').forEach(function (g) { if (!found && g.id === id) found = g; });
    return found;
  };

  /* The step's node or edge out of view: move the view to it (a fitted view stays fitted). */
  Player.prototype.follow = function () {
    var target = this.focusNode();
    if (!target) return;
    var r = target.getBoundingClientRect(), v = this.view.getBoundingClientRect();
    if (!r.width && !r.height) return;
    var inside = r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom;
    if (inside) return;
    this.centre(target);
    if (this.autoFit !== 'fit') this.autoFit = false;
  };

  Player.prototype.bindView = function () {
    var self = this, view = this.view, drag = null, touches = {}, pinch = null;
    var spread = function () {  // distance and midpoint of the first two pointers down
      var ids = Object.keys(touches);
      if (ids.length < 2) return null;
      var a = touches[ids[0]], b = touches[ids[1]], r = view.getBoundingClientRect();
      return { d: Math.hypot(a.x - b.x, a.y - b.y) || 1, x: (a.x + b.x) / 2 - r.left, y: (a.y + b.y) / 2 - r.top };
    };
    view.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var r = view.getBoundingClientRect();
      var amount = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
      self.zoomAt(Math.exp(-amount * (ev.ctrlKey ? 0.01 : 0.0015)), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    view.addEventListener('pointerdown', function (ev) {
      if (ev.button !== 0) return;
      touches[ev.pointerId] = { x: ev.clientX, y: ev.clientY };
      pinch = spread();
      if (pinch) { drag = null; return; }  // two fingers: pinch to zoom
      drag = { x: ev.clientX, y: ev.clientY, tx: self.tx, ty: self.ty, moved: false, id: ev.pointerId };
    });
    view.addEventListener('pointermove', function (ev) {
      if (touches[ev.pointerId]) touches[ev.pointerId] = { x: ev.clientX, y: ev.clientY };
      if (pinch) {
        var now = spread();
        if (now) { self.zoomAt(now.d / pinch.d, now.x, now.y); pinch = now; }
        return;
      }
      if (!drag) return;
      var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) > 4) {
        drag.moved = true;
        view.classList.add('gnn-dragging');
        try { view.setPointerCapture(drag.id); } catch (err) { /* pointer already gone */ }
      }
      if (drag.moved) {
        self.tx = drag.tx + dx; self.ty = drag.ty + dy;
        self.autoFit = false;
        self.apply();
      }
    });
    var end = function (ev) {
      delete touches[ev.pointerId];
      if (pinch && !spread()) pinch = null;
      if (!drag) return;
      var wasClick = !drag.moved;
      drag = null;
      view.classList.remove('gnn-dragging');
      if (wasClick && ev.type === 'pointerup') self.pick(ev.target);
    };
    view.addEventListener('pointerup', end);
    view.addEventListener('pointercancel', end);
  };

  /* ---------------------------------------------------------------- the trace table */

  /* A trace table of up to TABLE_ALL rows has all of them in the page. A longer one (a pass of
     thousands of steps) has only a window of TABLE_WINDOW rows, around the rows scrolled to or the
     current step's, between two empty rows as high as the rows they stand for (each row's height
     as measured when it was drawn, the mean height for rows never drawn): it scrolls, reads and
     answers clicks the same, without laying out every row of the pass. */
  var TABLE_ALL = 1500, TABLE_WINDOW = 160, TABLE_MARGIN = 30;

  function TraceTable(box, tbody, rows) {
    var self = this;
    this.box = box; this.tbody = tbody; this.data = rows;
    this.current = -1;
    this.trs = [];
    this.first = 0;
    this.windowed = rows.length > TABLE_ALL;
    if (!this.windowed) {
      for (var i = 0; i < rows.length; i++) { var tr = this.makeRow(i); tbody.appendChild(tr); this.trs.push(tr); }
      return;
    }
    this.px = new Float64Array(rows.length);  // each drawn row's height (0: never drawn)
    this.pxSum = 0; this.pxCount = 0;
    this.above = this.spacer(); this.below = this.spacer();
    tbody.appendChild(this.above); tbody.appendChild(this.below);
    this.onScroll = function () {
      if (self.pending) return;
      self.pending = true;
      global.requestAnimationFrame(function () { self.pending = false; self.scrolled(); });
    };
    box.addEventListener('scroll', this.onScroll, { passive: true });
    this.render(0);
  }

  TraceTable.prototype.makeRow = function (i) {
    var row = this.data[i], tr = el('tr');
    row.forEach(function (cell) { tr.appendChild(el('td', null, cell)); });
    tr.dataset.step = String(row[0]);
    tr.title = 'Go to step ' + row[0];
    if (i === this.current) tr.classList.add('gnn-current');
    return tr;
  };

  TraceTable.prototype.spacer = function () {
    var tr = el('tr', 'gnn-spacer'), td = el('td');
    tr.setAttribute('aria-hidden', 'true');
    td.colSpan = 6;
    tr.appendChild(td);
    return tr;
  };

  /* The height of rows [0, i): measured, or the mean height for rows never drawn. */
  TraceTable.prototype.offset = function (i) {
    var mean = this.pxCount ? this.pxSum / this.pxCount : 24, y = 0;
    for (var j = 0; j < i; j++) y += this.px[j] || mean;
    return y;
  };

  /* The row at height y below the first row's top. */
  TraceTable.prototype.rowAt = function (y) {
    var mean = this.pxCount ? this.pxSum / this.pxCount : 24, n = this.data.length, top = 0;
    for (var j = 0; j < n; j++) {
      top += this.px[j] || mean;
      if (top > y) return j;
    }
    return n - 1;
  };

  /* Draw rows [start, start + TABLE_WINDOW) (kept inside the table) between the spacers. */
  TraceTable.prototype.render = function (start) {
    var n = this.data.length, i;
    start = Math.max(0, Math.min(n - TABLE_WINDOW, Math.round(start)));
    var end = Math.min(n, start + TABLE_WINDOW);
    this.trs.forEach(function (tr) { tr.remove(); });
    this.trs = [];
    var rows = document.createDocumentFragment();
    for (i = start; i < end; i++) { var tr = this.makeRow(i); rows.appendChild(tr); this.trs.push(tr); }
    this.tbody.insertBefore(rows, this.below);
    this.first = start;
    for (i = start; i < end; i++) {  // their heights (none while the table is not in the page)
      var h = this.trs[i - start].getBoundingClientRect().height;
      if (!h) break;
      if (!this.px[i]) this.pxCount += 1;
      this.pxSum += h - this.px[i];
      this.px[i] = h;
    }
    this.above.firstChild.style.height = this.offset(start) + 'px';
    this.below.firstChild.style.height = (this.offset(n) - this.offset(end)) + 'px';
    this.above.style.display = start ? '' : 'none';
    this.below.style.display = end < n ? '' : 'none';
  };

  /* The box scrolled: draw the rows it now shows when they come near the window's ends, the
     row at the box's top staying where it is. */
  TraceTable.prototype.scrolled = function () {
    if (!this.trs.length) return;
    var box = this.box, top = box.scrollTop, height = box.clientHeight, n = this.data.length;
    var firstTop = this.trs[0].offsetTop, lastBottom = this.below.offsetTop, end = this.first + this.trs.length;
    var margin = TABLE_MARGIN * (this.pxCount ? this.pxSum / this.pxCount : 24);
    if (!((this.first > 0 && top < firstTop + margin) || (end < n && top + height > lastBottom - margin))) return;
    if (top <= 0) { this.render(0); box.scrollTop = 0; return; }
    if (top + height >= box.scrollHeight - 1) { this.render(n); box.scrollTop = box.scrollHeight; return; }
    var anchor, shift;  // a row, and its top's height over the box's top
    if (top >= firstTop && top < lastBottom) {
      anchor = this.first;
      while (anchor + 1 < end && this.trs[anchor + 1 - this.first].offsetTop <= top) anchor += 1;
      shift = this.trs[anchor - this.first].offsetTop - top;
    } else {
      var rowsTop = firstTop - this.offset(this.first);  // the thead's height
      anchor = this.rowAt(top - rowsTop);
      shift = rowsTop + this.offset(anchor) - top;
    }
    this.render(anchor - (TABLE_WINDOW - height / (margin / TABLE_MARGIN)) / 2);
    box.scrollTop = this.trs[anchor - this.first].offsetTop - shift;
  };

  /* The row of step i + 1 marked current (i < 0: none); returns it, drawn. */
  TraceTable.prototype.mark = function (i) {
    var old = this.row(this.current, false);
    if (old) old.classList.remove('gnn-current');
    this.current = i;
    if (i < 0 || i >= this.data.length) return null;
    var tr = this.row(i, true);
    tr.classList.add('gnn-current');
    return tr;
  };

  /* The row of index i, drawing its window first when ``draw`` (else null when not drawn). */
  TraceTable.prototype.row = function (i, draw) {
    if (i < 0 || i >= this.data.length) return null;
    if (i < this.first || i >= this.first + this.trs.length) {
      if (!draw) return null;
      this.render(i - TABLE_WINDOW / 2);
    }
    return this.trs[i - this.first];
  };

  TraceTable.prototype.destroy = function () {
    if (this.onScroll) this.box.removeEventListener('scroll', this.onScroll);
  };

  /* ---------------------------------------------------------------- inspector */

  Player.prototype.pick = function (target) {
    var g = target && target.closest ? target.closest('g.node, g.edge') : null;
    if (!g) return;
    var id = g.id, data = this.data;
    var aux = /^(n\d+)_op(?:-\1)?$/.exec(id);
    if (aux) id = aux[1];
    if (data.nodes[id]) this.inspect('node', id);
    else if (data.edges[id]) this.inspect('edge', id);
  };

  Player.prototype.markInspected = function () {
    if (!this.svg) return;
    var old = this.svg.querySelectorAll('.gnn-inspected');
    for (var i = 0; i < old.length; i++) old[i].classList.remove('gnn-inspected');
    var g = this.inspected && this.find(this.inspected);
    if (g) g.classList.add('gnn-inspected');
  };

  Player.prototype.inspect = function (kind, id) {
    var box = this.inspector, self = this;
    box.textContent = '';
    this.inspected = id;
    this.inspectedKind = kind;
    this.markInspected();
    this.root.dataset.inspected = id;
    var close = button('×', 'Close the inspector', 'gnn-close');
    close.addEventListener('click', function () {
      self.inspected = null; delete self.root.dataset.inspected; self.markInspected();
      box.textContent = '';
      box.appendChild(el('div', 'gnn-hint', 'Click a node or an edge to see where its number comes from.'));
    });
    box.appendChild(close);
    if (kind === 'node') this.showNode(box, this.data.nodes[id]);
    else this.showEdge(box, this.data.edges[id]);
  };

  function line(box, cls, text) { var d = el('div', cls, text); box.appendChild(d); return d; }
  function math(box, latex, plain) { var d = el('div', 'gnn-math'); typeset(d, latex, plain); box.appendChild(d); return d; }

  /* A node's numbers at step k (as graphviz_nn/export/player/timeline.py inspector_at): the
     value once computed, the gradient accumulated so far, which contributions have flowed. */
  function nodeAt(info, k) {
    var at = info.at, grad = null;
    (info.grads || []).forEach(function (g) { if (g[0] <= k) grad = g[1]; });
    var uses = info.uses.map(function (u) {
      return { u: u, done: u.step !== null && u.step !== undefined && k >= u.step };
    });
    var done = uses.filter(function (x) { return x.done; }).map(function (x) {
      var c = x.u.contribution || '?';
      return c.charAt(0) === '−' ? '(' + c + ')' : c;
    });
    return {
      value: at !== null && at !== undefined && k >= at ? info.value : null, grad: grad, uses: uses,
      sum: uses.length > 1 && grad !== null && done.length ? done.join(' + ') + ' = ' + grad : null,
      pending: uses.filter(function (x) { return !x.done; }).length
    };
  }

  Player.prototype.showNode = function (box, info) {
    var k = this.k, now = nodeAt(info, k);
    var what = info.kind === 'op' ? (info.op || 'op') : info.kind;
    line(box, 'gnn-ins-title', info.label + ' (' + what + (info.shape ? ', ' + info.shape : '') +
      (info.output ? ', the output' : '') + ')');
    line(box, 'gnn-note', 'Numbers at step ' + k + ' of ' + this.n + '.');
    if (info.formula && now.value !== null) math(box, info.formula.latex, info.formula.plain);
    line(box, 'gnn-kv gnn-value', now.value === null
      ? 'value: not yet computed' + (info.at ? ' (step ' + info.at + ')' : '')
      : 'value = ' + now.value);
    var first = (info.grads || [])[0];
    line(box, 'gnn-kv gnn-grad', info.d + (now.grad !== null ? ' = ' + now.grad
      : first ? ': not yet (from step ' + first[0] + ')' : ' = ' + (info.grad === null ? '—' : info.grad)));
    if (now.uses.length) {
      line(box, 'gnn-ins-head', 'Contributions (upstream × local = contribution): ' +
        (now.uses.length - now.pending) + ' of ' + now.uses.length + ' done');
      now.uses.forEach(function (x) {
        var u = x.u;
        var text = 'to ' + u.to + ': ' + u.upstream_name + ' × ' + u.local_name + ' = ';
        if (x.done) {
          text += (u.local === null ? (u.upstream || '?') + ' through the op' : (u.upstream || '?') + ' × ' + u.local) +
            ' = ' + (u.contribution === null ? '?' : u.contribution);
        } else {
          text += 'pending' + (u.step ? ' (step ' + u.step + ')' : '');
        }
        line(box, 'gnn-use' + (x.done ? ' gnn-done' : ' gnn-pending'), text);
      });
      if (now.sum) line(box, 'gnn-sum', (now.pending ? 'fan-out sum so far: ' : 'fan-out sum: ') + info.d + ' = ' + now.sum);
    } else if (info.output) {
      line(box, 'gnn-kv', 'The output: its gradient with respect to itself is 1 (the seed).');
    }
    var chain = info.chain;
    if (chain.paths.length) {
      var count = chain.truncated ? 'more than ' + chain.paths.length + ' paths (the first ' + chain.paths.length + ' shown)'
        : chain.paths.length + (chain.paths.length === 1 ? ' path' : ' paths');
      line(box, 'gnn-ins-head', info.d + ' along every path: ' + count + ' (numbers after the whole pass)');
      chain.paths.forEach(function (p, i) {
        var pathBox = el('div', 'gnn-path');
        pathBox.appendChild(el('div', 'gnn-path-title', 'path ' + (i + 1) + (p.product !== null ? ' = ' + p.product : '')));
        p.factors.forEach(function (f, j) {
          if (p.skipped && j === p.factors.length / 2) {
            pathBox.appendChild(el('div', 'gnn-factor gnn-skipped', '… ' + p.skipped + ' more factors …'));
          }
          var row = el('div', 'gnn-factor' + (f.shared ? ' gnn-shared' : ''));
          var m = el('span', 'gnn-math');
          typeset(m, f.name + ' = ' + f.formula + (f.value !== null ? ' = ' + f.value.replace('−', '-') : ''), f.text);
          row.appendChild(m);
          if (f.shared) row.appendChild(el('span', 'gnn-mark', ' ● shared'));
          pathBox.appendChild(row);
        });
        box.appendChild(pathBox);
      });
      if (chain.paths.some(function (p) { return p.factors.some(function (f) { return f.shared; }); })) {
        line(box, 'gnn-note', '● a factor several paths share: backprop computes it once.');
      }
    }
  };

  Player.prototype.showEdge = function (box, info) {
    var k = this.k, flowed = info.step !== null && info.step !== undefined && k >= info.step;
    var known = info.at === null || info.at === undefined || k >= info.at;
    line(box, 'gnn-ins-title', 'edge ' + info.from + ' → ' + info.to);
    line(box, 'gnn-note', 'Numbers at step ' + k + ' of ' + this.n + '.');
    if (info.formula) math(box, info.formula, info.formula_text);
    line(box, 'gnn-kv', 'local ' + info.local_name + ' = ' + (info.local === null ? 'a vector-Jacobian product'
      : known ? info.local : 'not yet computed'));
    if (flowed) {
      line(box, 'gnn-kv', 'upstream ' + info.upstream_name + ' = ' + (info.upstream === null ? '—' : info.upstream));
      line(box, 'gnn-sum gnn-done', 'contribution = ' + (info.local === null ? '' : (info.upstream || '?') + ' × ' + info.local + ' = ') +
        (info.contribution === null ? '—' : info.contribution));
    } else {
      line(box, 'gnn-sum gnn-pending', 'contribution: pending' + (info.step ? ' (flows at step ' + info.step + ')' : ''));
    }
  };

  global.GnnPlayer = {
    mount: function (root, data, options) { return new Player(root, data, options || {}); },
    Player: Player,
    texCacheSize: function () { return texCache.size; },
    TEX_CACHE_MAX: TEX_CACHE_MAX,
    texHtml: function (latex) { return global.katex ? texHtml(latex) : null; }
  };
})(window);
