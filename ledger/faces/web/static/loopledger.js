/* loopledger's pages: the loop graph (Cytoscape.js), the charts (Chart.js), the journal filter.
 *
 * The same file runs on `loopledger serve` (data fetched from /api/...) and inside the one-file
 * HTML report (data embedded in <script type="application/json"> elements). Numbers arrive as
 * exact decimal strings; they are rounded for display here with BigInt arithmetic, half-even,
 * exactly as loopledger's Python does — a binary float is used only to place a point on a chart.
 */
(function () {
  "use strict";

  var LAYERS = {
    cash: { label: "cash paid", colour: "#0f7b5f", style: "solid" },
    binding: { label: "binding promise", colour: "#c2410c", style: "dashed" },
    non_binding: { label: "non-binding promise", colour: "#b7791f", style: "dotted" },
    equity: { label: "equity stake", colour: "#1f5fae", style: "solid" }
  };
  var PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7c3aed", "#000000", "#8B4513", "#6b7280", "#b91c1c", "#065f46"];

  // --- errors are shown on the page, never swallowed -------------------------------------------
  function showError(message) {
    var box = document.getElementById("page-error");
    if (!box) { return; }
    box.hidden = false;
    box.textContent = "This page hit an error: " + message;
  }
  window.addEventListener("error", function (e) { showError(e.message || String(e)); });
  window.addEventListener("unhandledrejection", function (e) {
    showError(e.reason && e.reason.message ? e.reason.message : String(e.reason));
  });

  function embedded(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // --- exact decimal strings, rounded half-even for display -----------------------------------
  function pow10(n) { var p = BigInt(1); for (var i = 0; i < n; i++) { p *= BigInt(10); } return p; }

  /* value × 10^-shift rounded half-even to `places` decimals: {neg, whole (BigInt), frac (str)}. */
  function roundDecimal(text, shift, places) {
    var s = String(text).trim();
    var neg = s.charAt(0) === "-";
    if (neg || s.charAt(0) === "+") { s = s.slice(1); }
    var parts = s.split(".");
    var intPart = parts[0] || "0", fracPart = parts[1] || "";
    var digits = BigInt(intPart + fracPart);
    var scale = fracPart.length + shift - places; // digits to drop
    var q;
    if (scale <= 0) {
      q = digits * pow10(-scale);
    } else {
      var d = pow10(scale);
      q = digits / d;
      var r = digits % d, twice = r * BigInt(2);
      if (twice > d || (twice === d && q % BigInt(2) === BigInt(1))) { q += BigInt(1); }
    }
    var unit = pow10(places);
    var whole = q / unit;
    var frac = places ? (q % unit).toString().padStart(places, "0") : "";
    return { neg: neg && q !== BigInt(0), whole: whole, frac: frac, zero: q === BigInt(0), exactZero: digits === BigInt(0) };
  }
  function grouped(big) { return big.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function billions(text) {
    if (text === null || text === undefined) { return "—"; }
    var r = roundDecimal(text, 9, 1);
    if (r.zero && !r.exactZero) { return (String(text).charAt(0) === "-" ? "-" : "") + "<$0.1B"; }
    return (r.neg ? "-" : "") + "$" + grouped(r.whole) + "." + r.frac + "B";
  }
  function percent(text) {
    if (text === null || text === undefined) { return "—"; }
    var r = roundDecimal(text, -2, 2);
    return (r.neg ? "-" : "") + r.whole.toString() + "." + r.frac + "%";
  }
  function exactDollars(text) {
    var s = String(text), neg = s.charAt(0) === "-";
    if (neg) { s = s.slice(1); }
    var p = s.split(".");
    var frac = p[1] && /[1-9]/.test(p[1]) ? "." + p[1] : "";
    return (neg ? "-$" : "$") + grouped(BigInt(p[0] || "0")) + frac;
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; }
      else if (k === "className") { node.className = attrs[k]; }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function amountSpan(text, shown) {
    return el("span", { className: "num", "data-exact": text, title: "exact: " + exactDollars(text), text: shown || billions(text) });
  }
  function shortName(name) { return String(name).split(" (")[0]; }

  // --- the loop --------------------------------------------------------------------------------
  function LoopView(root, data) {
    this.data = data;
    this.names = data.names || {};
    this.snapshot = data.current;
    this.scale = Number(data.scale || 0) || null;
    this.container = document.getElementById("graph");
    this.tip = document.getElementById("graph-tip");
    this.table = document.getElementById("loops-table");
    this.pinned = null;
    this.build();
    this.bind();
    this.show(this.snapshot);
  }

  LoopView.prototype.partyLink = function (id) {
    var link = this.data.party_link.replace("{id}", encodeURIComponent(id));
    if (this.data.api && this.snapshot && this.snapshot.as_of) {
      link += "?as_of=" + encodeURIComponent(this.snapshot.as_of);
    }
    return link;
  };

  LoopView.prototype.build = function () {
    var view = this;
    var style = [
      { selector: "node", style: {
        "background-color": "#15151a", "width": "data(size)", "height": "data(size)",
        "label": "data(label)", "font-family": "Georgia, serif", "font-size": 15,
        "font-weight": 700, "color": "#1d1d1f", "text-outline-color": "#fbfaf7", "text-outline-width": 3,
        "border-width": 3, "border-color": "#fbfaf7", "transition-property": "opacity", "transition-duration": "150ms" } },
      { selector: "node.lbl-top", style: { "text-valign": "top", "text-halign": "center", "text-margin-y": -8 } },
      { selector: "node.lbl-bottom", style: { "text-valign": "bottom", "text-halign": "center", "text-margin-y": 8 } },
      { selector: "node.lbl-left", style: { "text-valign": "center", "text-halign": "left", "text-margin-x": -10 } },
      { selector: "node.lbl-right", style: { "text-valign": "center", "text-halign": "right", "text-margin-x": 10 } },
      { selector: "node.idle", style: { "opacity": 0.3 } },
      { selector: "node.hover", style: { "background-color": "#b3261e" } },
      { selector: "edge", style: {
        "curve-style": "bezier", "control-point-step-size": 34, "width": "data(w)",
        "target-arrow-shape": "triangle", "arrow-scale": 0.75, "opacity": 0.82,
        "transition-property": "opacity", "transition-duration": "150ms" } }
    ];
    Object.keys(LAYERS).forEach(function (key) {
      var layer = LAYERS[key];
      var s = { "line-color": layer.colour, "target-arrow-color": layer.colour, "line-style": layer.style };
      if (key === "binding") { s["line-dash-pattern"] = [10, 6]; }
      if (key === "non_binding") { s["line-style"] = "dashed"; s["line-dash-pattern"] = [1, 7]; s["line-cap"] = "round"; }
      if (key === "equity") { s["line-color"] = "#fbfaf7"; s["line-outline-width"] = 1.6; s["line-outline-color"] = layer.colour; }
      style.push({ selector: "edge." + key, style: s });
    });
    style.push({ selector: "edge.hidden-layer", style: { "display": "none" } });
    style.push({ selector: ".faded", style: { "opacity": 0.08 } });
    style.push({ selector: "edge.hl", style: { "opacity": 1, "z-index": 10 } });
    style.push({ selector: "node.hl", style: { "background-color": "#7c3aed" } });
    this.cy = window.cytoscape({
      container: this.container,
      elements: [],
      style: style,
      layout: { name: "preset" },
      minZoom: 0.3, maxZoom: 4,
      autoungrabify: true, boxSelectionEnabled: false, autounselectify: true
    });
    this.cy.on("mouseover", "node", function (e) { view.hoverNode(e); });
    this.cy.on("mouseover", "edge", function (e) { view.hoverEdge(e); });
    this.cy.on("mouseout", "node, edge", function (e) { e.target.removeClass("hover"); view.hideTip(); });
    this.cy.on("mousemove", function (e) { view.moveTip(e); });
    this.cy.on("tap", "node", function (e) { window.location.href = view.partyLink(e.target.id()); });
  };

  LoopView.prototype.bind = function () {
    var view = this;
    this.range = document.getElementById("asof-range");
    this.label = document.getElementById("asof-label");
    this.dateInput = document.getElementById("asof-date");
    this.range.addEventListener("input", function () { view.label.textContent = view.data.dates[Number(view.range.value)] || "—"; });
    this.range.addEventListener("change", function () { view.go(view.data.dates[Number(view.range.value)]); });
    this.dateInput.addEventListener("change", function () { if (view.dateInput.value) { view.go(view.dateInput.value); } });
    Array.prototype.forEach.call(document.querySelectorAll("#layer-toggles input[name=layer]"), function (box) {
      box.addEventListener("change", function () { view.applyLayers(); });
    });
  };

  LoopView.prototype.go = function (day) {
    var view = this;
    if (!day) { return; }
    if (this.data.api) {
      // Answers can arrive out of order (a slider sends one request per step): only the last asked counts.
      var asked = this.asked = (this.asked || 0) + 1;
      document.body.classList.add("loading");
      fetch(this.data.api + "?as_of=" + encodeURIComponent(day), { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json().then(function (body) { if (!r.ok) { throw new Error(body.error || r.statusText); } return body; }); })
        .then(function (snapshot) {
          if (asked !== view.asked) { return; }
          view.show(snapshot);
          if (window.history && window.history.replaceState) {
            window.history.replaceState(null, "", "?as_of=" + encodeURIComponent(day));
          }
        })
        .catch(function (err) { showError(err.message); })
        .then(function () { document.body.classList.remove("loading"); });
      return;
    }
    var keys = Object.keys(this.data.snapshots || {}).sort();
    var chosen = keys[0];
    keys.forEach(function (k) { if (k <= day) { chosen = k; } });
    if (chosen) { this.show(this.data.snapshots[chosen]); }
  };

  LoopView.prototype.show = function (snapshot) {
    var view = this;
    this.snapshot = snapshot;
    var totals = {};
    var maxAmount = this.scale;
    if (!maxAmount) {
      maxAmount = 0;
      snapshot.edges.forEach(function (e) { maxAmount = Math.max(maxAmount, Number(e.amount)); });
    }
    snapshot.edges.forEach(function (e) {
      totals[e.source] = (totals[e.source] || 0) + Number(e.amount);
      totals[e.target] = (totals[e.target] || 0) + Number(e.amount);
    });
    var maxTotal = 0;
    Object.keys(totals).forEach(function (k) { maxTotal = Math.max(maxTotal, totals[k]); });
    var elements = snapshot.nodes.map(function (n) {
      var side = Math.abs(n.x) > Math.abs(n.y) * 0.75 ? (n.x < 0 ? "lbl-left" : "lbl-right") : (n.y < 0 ? "lbl-top" : "lbl-bottom");
      var size = 16 + 30 * Math.sqrt((totals[n.id] || 0) / (maxTotal || 1));
      return { group: "nodes", data: { id: n.id, label: shortName(n.name), name: n.name, size: size }, position: { x: n.x, y: n.y }, classes: side + (n.active ? "" : " idle") };
    });
    snapshot.edges.forEach(function (e) {
      var w = 1.4 + 11 * Math.sqrt(Number(e.amount) / (maxAmount || 1));
      if (e.layer === "equity") { w = Math.max(w, 4); }
      elements.push({ group: "edges", data: { id: e.id, source: e.source, target: e.target, w: w, row: e }, classes: e.layer });
    });
    this.cy.batch(function () {
      view.cy.elements().remove();
      view.cy.add(elements);
    });
    this.cy.fit(undefined, 40);
    this.applyLayers();
    var index = this.data.dates.indexOf(snapshot.as_of);
    if (index >= 0) { this.range.value = String(index); }
    this.label.textContent = snapshot.as_of || "—";
    this.dateInput.value = snapshot.as_of || "";
    this.renderLoops(snapshot);
    this.renderRoundTrips(snapshot);
    document.body.setAttribute("data-as-of", snapshot.as_of || "");
  };

  LoopView.prototype.applyLayers = function () {
    var on = {};
    Array.prototype.forEach.call(document.querySelectorAll("#layer-toggles input[name=layer]"), function (box) { on[box.value] = box.checked; });
    this.cy.edges().forEach(function (edge) {
      var layer = edge.data("row").layer;
      if (on[layer]) { edge.removeClass("hidden-layer"); } else { edge.addClass("hidden-layer"); }
    });
  };

  LoopView.prototype.legEdges = function (cycle) {
    var ids = [];
    cycle.edges.forEach(function (leg) {
      var key = leg.source + ">" + leg.target;
      leg.layers.forEach(function (layer) {
        if (layer === "committed") {
          var promises = leg.promises && leg.promises.length ? leg.promises : ["binding", "non_binding"];
          promises.forEach(function (p) { ids.push(p + ":" + key); });
        } else {
          ids.push(layer + ":" + key);
        }
      });
    });
    return ids;
  };

  LoopView.prototype.highlight = function (cycle) {
    var cy = this.cy;
    cy.elements().removeClass("hl faded");
    if (!cycle) { return; }
    cy.elements().addClass("faded");
    this.legEdges(cycle).forEach(function (id) {
      var edge = cy.getElementById(id);
      if (edge.nonempty()) { edge.removeClass("faded").addClass("hl"); }
    });
    cycle.path.forEach(function (p) { cy.getElementById(p).removeClass("faded").addClass("hl"); });
  };

  LoopView.prototype.renderLoops = function (snapshot) {
    var view = this, names = this.names;
    var body = this.table.querySelector("tbody");
    body.textContent = "";
    this.table.setAttribute("data-as-of", snapshot.as_of || "");
    var count = document.getElementById("loops-count");
    var found = snapshot.cycles_found;
    count.textContent = snapshot.cycles.length + " as of " + (snapshot.as_of || "—") + (found > snapshot.cycles.length ? " (" + found + " found, the biggest listed)" : "");
    if (!snapshot.cycles.length) {
      body.appendChild(el("tr", {}, [el("td", { colspan: "3", className: "muted", text: "No loop as of this date." })]));
    }
    snapshot.cycles.forEach(function (cycle) {
      var route = cycle.path.map(function (p) { return shortName(names[p] || p); }).join(" → ");
      var legs = el("span", { className: "legs" });
      cycle.edges.forEach(function (leg, i) {
        if (i) { legs.appendChild(document.createTextNode(" · ")); }
        legs.appendChild(document.createTextNode(shortName(names[leg.source] || leg.source) + "→" + shortName(names[leg.target] || leg.target) + " "));
        legs.appendChild(amountSpan(leg.amount));
        var kinds = [];
        leg.layers.forEach(function (layer) {
          if (layer === "committed" && leg.promises && leg.promises.length) { kinds = kinds.concat(leg.promises); } else { kinds.push(layer); }
        });
        kinds.forEach(function (k) {
          legs.appendChild(el("span", { className: "leg-layer leg-" + k, text: (LAYERS[k] ? LAYERS[k].label : k).replace(" promise", "").replace(" paid", "").replace(" stake", "") }));
        });
      });
      var first = el("td", {}, [el("span", { className: "route", text: route }), legs]);
      if (cycle.standing) { first.appendChild(el("span", { className: "standing standing-" + cycle.standing.replace(/ /g, "-"), text: " " + cycle.standing })); }
      if (!cycle.time_respecting) { first.appendChild(el("span", { className: "out-of-order", text: " not in time order" })); }
      var row = el("tr", { "data-layer": cycle.layer, "data-path": cycle.path.join(">"), "data-bottleneck": cycle.bottleneck }, [
        first,
        el("td", {}, [el("span", { className: "badge layer-" + cycle.layer, text: cycle.layer })]),
        el("td", { className: "r" }, [amountSpan(cycle.bottleneck)])
      ]);
      row.addEventListener("mouseenter", function () { if (!view.pinned) { view.highlight(cycle); } });
      row.addEventListener("mouseleave", function () { if (!view.pinned) { view.highlight(null); } });
      row.addEventListener("click", function () {
        var again = view.pinned === row;
        Array.prototype.forEach.call(body.querySelectorAll("tr.active"), function (r) { r.classList.remove("active"); });
        view.pinned = again ? null : row;
        if (!again) { row.classList.add("active"); }
        view.highlight(again ? null : cycle);
      });
      body.appendChild(row);
    });
  };

  LoopView.prototype.renderRoundTrips = function (snapshot) {
    var table = document.getElementById("round-trips");
    if (!table) { return; }
    var body = table.querySelector("tbody"), view = this;
    body.textContent = "";
    var rows = (snapshot.round_trips || []).filter(function (r) { return r.departed !== "0"; });
    rows.sort(function (a, b) { return Number(b.returned) - Number(a.returned) || Number(b.departed) - Number(a.departed); });
    if (!rows.length) { body.appendChild(el("tr", {}, [el("td", { colspan: "4", className: "muted", text: "No cash paid between modelled companies yet." })])); }
    rows.forEach(function (r) {
      var link = el("a", { href: view.partyLink(r.party), text: view.names[r.party] || r.party });
      body.appendChild(el("tr", { "data-party": r.party }, [
        el("td", {}, [link]),
        el("td", { className: "r" }, [amountSpan(r.departed)]),
        el("td", { className: "r" }, [amountSpan(r.returned)]),
        el("td", { className: "r" }, [r.share === null ? document.createTextNode("—") : el("span", { className: "num", "data-exact": r.share, title: "exact: " + r.share, text: percent(r.share) })])
      ]));
    });
  };

  LoopView.prototype.hoverNode = function (e) {
    var node = e.target, id = node.id(), snap = this.snapshot, names = this.names;
    node.addClass("hover");
    var out = 0, inn = 0;
    snap.edges.forEach(function (x) { if (x.source === id) { out++; } if (x.target === id) { inn++; } });
    var loops = snap.cycles.filter(function (c) { return c.path.indexOf(id) >= 0; }).length;
    this.showTip("<b>" + escapeHtml(names[id] || id) + "</b><br>" + out + " flows out, " + inn + " in; on " + loops + " loop" + (loops === 1 ? "" : "s") + "<br><span class='tip-events'>click for its page</span>", e);
  };

  LoopView.prototype.hoverEdge = function (e) {
    var row = e.target.data("row"), names = this.names;
    var events = row.events.slice(0, 6).join("<br>") + (row.events.length > 6 ? "<br>+" + (row.events.length - 6) + " more" : "");
    var dates = row.first_date + (row.last_date !== row.first_date ? " … " + row.last_date : "");
    this.showTip("<b>" + escapeHtml(names[row.source] || row.source) + " → " + escapeHtml(names[row.target] || row.target) + "</b><br>" +
      escapeHtml(LAYERS[row.layer].label) + "<span class='tip-amount'>" + escapeHtml(billions(row.amount)) + "</span>" +
      "exact " + escapeHtml(exactDollars(row.amount)) + " · " + escapeHtml(dates) +
      "<div class='tip-events'>" + row.events.length + " event" + (row.events.length === 1 ? "" : "s") + ":<br>" + events.split("<br>").map(escapeHtml).join("<br>") + "</div>", e);
  };

  LoopView.prototype.showTip = function (html, e) {
    this.tip.innerHTML = html;
    this.tip.hidden = false;
    this.moveTip(e);
  };
  LoopView.prototype.moveTip = function (e) {
    if (this.tip.hidden || !e.renderedPosition) { return; }
    var box = this.container.getBoundingClientRect(), card = this.container.parentNode.getBoundingClientRect();
    var x = box.left - card.left + e.renderedPosition.x + 16, y = box.top - card.top + e.renderedPosition.y + 16;
    if (x + 340 > card.width) { x = Math.max(8, x - 372); }
    this.tip.style.left = x + "px";
    this.tip.style.top = y + "px";
  };
  LoopView.prototype.hideTip = function () { this.tip.hidden = true; };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c]; });
  }

  // --- metrics and warrants charts ----------------------------------------------------------
  function tickFor(kind) {
    return function (v) {
      if (kind === "amount") { return "$" + v + "B"; }
      if (kind === "share") { return (v * 100).toFixed(0) + "%"; }
      return v + "×";
    };
  }
  function shownValue(kind, raw) {
    if (raw === null || raw === undefined) { return "—"; }
    if (kind === "amount") { return billions(raw); }
    if (kind === "share") { return percent(raw); }
    var r = roundDecimal(raw, 0, 2);
    return (r.neg ? "-" : "") + r.whole.toString() + "." + r.frac + "×";
  }
  function chartDefaults() {
    var C = window.Chart;
    C.defaults.font.family = "-apple-system, 'Segoe UI', 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif";
    C.defaults.color = "#4a4a4f";
    C.defaults.animation = false;
    C.defaults.maintainAspectRatio = false;
  }

  function metricCharts() {
    var data = embedded("ll-metrics");
    if (!data) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-metric-chart]"), function (canvas) {
      var chart = data.charts[Number(canvas.getAttribute("data-metric-chart"))];
      var kind = chart.kind;
      var subjects = Object.keys(chart.series);
      var datasets = subjects.map(function (subject, i) {
        var raw = chart.series[subject];
        var label = subject.split("→").map(function (p) { return shortName(data.names[p] || p); }).join(" → ");
        return {
          label: label, raw: raw,
          data: raw.map(function (v) { return v === null ? null : (kind === "amount" ? Number(v) / 1e9 : Number(v)); }),
          borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length],
          borderWidth: 2.2, pointRadius: 2.5, tension: 0, spanGaps: false
        };
      });
      new window.Chart(canvas, {
        type: "line",
        data: { labels: data.dates, datasets: datasets },
        options: {
          interaction: { mode: "nearest", intersect: false },
          scales: { y: { ticks: { callback: tickFor(kind) }, grid: { color: "#eeece7" } }, x: { grid: { display: false } } },
          plugins: {
            legend: { position: "right", labels: { boxWidth: 14, boxHeight: 2 } },
            tooltip: { callbacks: { label: function (ctx) {
              var raw = ctx.dataset.raw[ctx.dataIndex];
              return ctx.dataset.label + ": " + shownValue(kind, raw) + "  (exact " + raw + ")";
            } } }
          }
        }
      });
    });
  }

  function warrantCharts() {
    var data = embedded("ll-warrants");
    if (!data) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-warrant-chart]"), function (canvas) {
      var c = data.curves[Number(canvas.getAttribute("data-warrant-chart"))];
      function series(key) {
        return c.points.filter(function (p) { return p[key] !== null; }).map(function (p) { return { x: Number(p.price), y: Number(p[key]) / 1e9, raw: p[key] }; });
      }
      var top = 0;
      c.points.forEach(function (p) { top = Math.max(top, Number(p.value_if_met || 0), Number(p.intrinsic || 0)); });
      top = top / 1e9;
      var datasets = [
        { label: "value if deliveries are met", data: series("value_if_met"), borderColor: "#1f5fae", backgroundColor: "#1f5fae", borderWidth: 3, pointRadius: 0 },
        { label: "value, weighted by the delivery probability", data: series("value"), borderColor: "#c2410c", backgroundColor: "#c2410c", borderDash: [8, 5], borderWidth: 2.5, pointRadius: 0 },
        { label: "intrinsic value (price − strike)", data: series("intrinsic"), borderColor: "#9ca3af", backgroundColor: "#9ca3af", borderWidth: 1.5, pointRadius: 0 }
      ];
      c.hurdles.forEach(function (h) {
        datasets.push({ label: "hurdle $" + h, data: [{ x: Number(h), y: 0 }, { x: Number(h), y: top }], borderColor: "#b3261e", backgroundColor: "#b3261e", borderDash: [3, 3], borderWidth: 2, pointRadius: 0 });
      });
      if (c.spot) {
        datasets.push({ label: "share price on " + c.spot.date + ": $" + c.spot.price, data: [{ x: Number(c.spot.price), y: 0 }, { x: Number(c.spot.price), y: top }], borderColor: "#15151a", backgroundColor: "#15151a", borderWidth: 1.5, pointRadius: 0 });
      }
      new window.Chart(canvas, {
        type: "line",
        data: { datasets: datasets },
        options: {
          parsing: true,
          interaction: { mode: "nearest", intersect: false, axis: "x" },
          scales: {
            x: { type: "linear", title: { display: true, text: shortName(data.names[c.issuer] || c.issuer) + " share price (US$)" }, ticks: { callback: function (v) { return "$" + v; } }, grid: { color: "#eeece7" } },
            y: { title: { display: true, text: "value (US$ billions)" }, ticks: { callback: function (v) { return "$" + v + "B"; } }, grid: { color: "#eeece7" }, min: 0 }
          },
          plugins: {
            legend: { position: "bottom", labels: { boxWidth: 18, boxHeight: 2 } },
            tooltip: { callbacks: { label: function (ctx) {
              var raw = ctx.raw && ctx.raw.raw;
              return ctx.dataset.label + (raw !== undefined ? ": " + billions(raw) + " at $" + ctx.raw.x + " (exact " + raw + ")" : "");
            } } }
          }
        }
      });
    });
  }

  // --- the events journal ---------------------------------------------------------------------
  function eventFilters() {
    var form = document.getElementById("event-filters");
    if (!form) { return; }
    var rows = Array.prototype.slice.call(document.querySelectorAll("#events tr.event-row"));
    var ids = { text: "f-text", type: "f-type", party: "f-party", from: "f-from", to: "f-to", confidence: "f-confidence" };
    var inputs = {};
    Object.keys(ids).forEach(function (k) { inputs[k] = document.getElementById(ids[k]); });
    var params = new URLSearchParams(window.location.search);
    if (params.get("q")) { inputs.text.value = params.get("q"); }
    ["type", "party", "from", "to", "confidence"].forEach(function (k) { if (params.get(k)) { inputs[k].value = params.get(k); } });
    var count = document.getElementById("event-count");
    function apply() {
      var text = inputs.text.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var ok = (!inputs.type.value || row.getAttribute("data-type") === inputs.type.value) &&
          (!inputs.party.value || row.getAttribute("data-parties").indexOf(" " + inputs.party.value + " ") >= 0) &&
          (!inputs.from.value || row.getAttribute("data-date") >= inputs.from.value) &&
          (!inputs.to.value || row.getAttribute("data-date") <= inputs.to.value) &&
          (!inputs.confidence.value || row.getAttribute("data-confidence") === inputs.confidence.value) &&
          (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
        row.hidden = !ok;
        if (ok) { shown++; }
      });
      count.textContent = shown === rows.length ? rows.length + " events" : "Showing " + shown + " of " + rows.length + " events";
      count.setAttribute("data-shown", String(shown));
    }
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
    apply();
  }

  function start() {
    var loop = embedded("ll-loop");
    if (loop && document.getElementById("graph")) {
      if (!window.cytoscape) { throw new Error("the graph library did not load"); }
      window.loopledgerLoop = new LoopView(document.getElementById("loop"), loop);
    }
    if (window.Chart) { chartDefaults(); }
    if (document.querySelector("canvas[data-metric-chart]")) { metricCharts(); }
    if (document.querySelector("canvas[data-warrant-chart]")) { warrantCharts(); }
    eventFilters();
    document.body.setAttribute("data-ready", "true");
  }
  window.loopledger = { billions: billions, percent: percent, roundDecimal: roundDecimal };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
