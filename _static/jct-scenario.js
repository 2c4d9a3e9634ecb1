/* The scenario explorer ("What would it take?"): the same arithmetic as justice_tracker/scenario.py, in whole
   people, redrawn with the vendored Vega bundle as the levers move. The page's inputs are JSON data in
   <script type="application/json" id="jct-scenario-inputs">; the chart's spec is the default chart's own
   (<script id="spec-scenario">), with only its data replaced. Lever values live in the page's address, so a link
   reproduces a scenario; anything read from the address is written with textContent, never as markup.
   Deferred like the bundle: it runs after the page is parsed, and draws at DOMContentLoaded. */
(function () {
  "use strict";
  var root = document.getElementById("jct-scenario");
  if (!root) { return; }
  var chartId = root.getAttribute("data-chart");
  var figure = document.getElementById("chart-" + chartId);
  var viewEl = figure ? figure.querySelector(".jct-chart-view") : null;
  // This script draws the chart itself: jct-charts.js draws only views that still carry data-chart-id.
  if (viewEl) { viewEl.removeAttribute("data-chart-id"); }

  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"];
  var data, spec;
  try {
    data = JSON.parse(document.getElementById("jct-scenario-inputs").textContent);
    spec = JSON.parse(document.getElementById("spec-" + chartId).textContent);
  } catch (e) {
    console.error("scenario: " + e);
    return;
  }
  var levers = data.levers;
  var byName = {};
  levers.forEach(function (l) { byName[l.name] = l; });
  var form = document.getElementById("jct-scenario-form");
  var estateBox = document.getElementById("jct-lever-estate");
  var messages = document.getElementById("jct-scenario-messages");
  var state = {estate: "whole", levers: {}};
  var view = null, drawing = 0, csvUrl = null;

  // The model: justice_tracker/scenario.py project(), outcome() and sentence(), to the person.
  function placesWeek(months) { return Math.floor((13 * months + 2) / 3); }
  function recallChange(recall, weeks, t) {
    var share = Math.floor(Math.abs(recall) * Math.min(t, weeks) / weeks);
    return recall >= 0 ? share : -share;
  }
  function addDays(iso, days) {
    var p = iso.split("-");
    return new Date(Date.UTC(+p[0], +p[1] - 1, +p[2]) + days * 86400000).toISOString().slice(0, 10);
  }
  function project(start, lv) {
    var opens = placesWeek(lv.places_month), operational = start.uoc + start.margin, weeks = [];
    for (var t = 0; t <= data.weeks; t++) {
      var population = start.population + lv.growth * t + recallChange(lv.recall, lv.recall_weeks, t) -
        (t >= lv.release_week ? lv.release : 0);
      var capacity = operational + (t >= opens ? lv.places : 0) - lv.margin;
      weeks.push({week: t, date: addDays(start.date, 7 * t), population: population, capacity: capacity,
                  headroom: capacity - population});
    }
    return weeks;
  }
  function outcome(weeks) {
    var runsOut = null, lowest = weeks[0];
    for (var i = 0; i < weeks.length; i++) {
      if (runsOut === null && weeks[i].headroom < 0) { runsOut = weeks[i]; }
      if (weeks[i].headroom < lowest.headroom) { lowest = weeks[i]; }
    }
    return {runsOut: runsOut, lowest: lowest, end: weeks[weeks.length - 1]};
  }
  function people(n) {
    var s = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (n < 0 ? "-" : "") + s;
  }
  function day(iso) {
    var p = iso.split("-");
    return (+p[2]) + " " + MONTHS[+p[1] - 1] + " " + p[0];
  }
  function sentence(estate, result, margin) {
    var label = data.estates[estate].label, w = result.runsOut;
    if (w !== null && w.week === 0) {
      return "With an operating margin of " + people(margin) + " places, " + label + " is already short of " +
        "places at the latest bulletin (" + day(w.date) + "): " + people(w.population) + " people for " +
        people(w.capacity) + " places.";
    }
    if (w !== null) {
      return "On these settings " + label + " runs out of places in the week of " + day(w.date) + ", " + w.week +
        " weeks after the latest bulletin: " + people(w.population) + " people for " + people(w.capacity) +
        " places, keeping an operating margin of " + people(margin) + ".";
    }
    return "On these settings " + label + " does not run out of places within two years: headroom is lowest at " +
      people(result.lowest.headroom) + " places in the week of " + day(result.lowest.date) + ", and is " +
      people(result.end.headroom) + " in the week of " + day(result.end.date) + ".";
  }
  // justice_tracker/scenario.py chart_rows()
  function rows(estate, weeks) {
    var e = data.estates[estate], S = data.series, out = [];
    var first = e.history.length ? e.history[0][0] : weeks[0].date, last = weeks[weeks.length - 1].date;
    e.history.forEach(function (h) { out.push({date: h[0], series: S[0], people: h[1]}); });
    e.history.forEach(function (h) { out.push({date: h[0], series: S[1], people: h[2]}); });
    e.projection.forEach(function (p) {
      if (first <= p.date && p.date <= last) { out.push({date: p.date, series: S[2], people: p.people}); }
    });
    weeks.forEach(function (w) { out.push({date: w.date, series: S[3], people: w.population}); });
    weeks.forEach(function (w) { out.push({date: w.date, series: S[4], people: w.capacity}); });
    return out;
  }

  // Reading lever values: from the address (clamped or ignored, and said so) and from the form.
  function clampTo(lever, v) { return Math.min(Math.max(v, lever.minimum), lever.maximum); }
  function shown(raw) { return raw.length > 40 ? raw.slice(0, 40) + "…" : raw; }
  function defaultsOf(estate) {
    var d = data.estates[estate].defaults, out = {};
    levers.forEach(function (l) { out[l.name] = d[l.name]; });
    return out;
  }
  function fromAddress() {
    var q = new URLSearchParams(window.location.search), said = [];
    if (q.has("estate")) {
      var e = q.get("estate");
      if (Object.prototype.hasOwnProperty.call(data.estates, e)) { state.estate = e; } else {
        said.push("The estate \u201c" + shown(e) + "\u201d in the link is not one this page knows, so the whole " +
                  "estate is shown.");
      }
    }
    state.levers = defaultsOf(state.estate);
    levers.forEach(function (l) {
      if (!q.has(l.name)) { return; }
      var raw = q.get(l.name).trim();
      if (!/^-?\d{1,9}$/.test(raw)) {
        said.push(l.label + ": \u201c" + shown(raw) + "\u201d in the link is not a whole number, so it was " +
                  "ignored and the default (" + people(state.levers[l.name]) + ") used.");
        return;
      }
      var v = parseInt(raw, 10), c = clampTo(l, v);
      if (c !== v) {
        said.push(l.label + ": " + people(v) + " in the link is outside the range " + people(l.minimum) +
                  " to " + people(l.maximum) + ", so " + people(c) + " was used.");
      }
      state.levers[l.name] = c;
    });
    say(said);
  }
  function say(lines) {
    messages.textContent = lines.join(" ");
    messages.hidden = lines.length === 0;
  }
  function toForm() {
    estateBox.value = state.estate;
    levers.forEach(function (l) { document.getElementById("jct-lever-" + l.name).value = String(state.levers[l.name]); });
    var t = data.estates[state.estate].trend;
    form.querySelector(".jct-trend-low").textContent = people(t.low);
    form.querySelector(".jct-trend-high").textContent = people(t.high);
  }
  function toAddress() {
    var q = new URLSearchParams();
    q.set("estate", state.estate);
    levers.forEach(function (l) { q.set(l.name, String(state.levers[l.name])); });
    var url = window.location.pathname + "?" + q.toString() + window.location.hash;
    try { window.history.replaceState(null, "", url); } catch (e) { /* a file: page may refuse; the link still works */ }
    document.getElementById("jct-scenario-link").href = "?" + q.toString();
  }

  function csv(weeks) {
    var lines = ["week,date,population,useable_capacity,headroom,estate"];
    weeks.forEach(function (w) {
      lines.push([w.week, w.date, w.population, w.capacity, w.headroom, state.estate].join(","));
    });
    return lines.join("\n") + "\n";
  }

  function update() {
    var e = data.estates[state.estate], lv = state.levers;
    var weeks = project(e.start, lv), result = outcome(weeks), text = sentence(state.estate, result, lv.margin);
    document.getElementById("jct-scenario-runs-out").textContent = result.runsOut === null ?
      "not within two years" : "week of " + day(result.runsOut.date) + " (" + result.runsOut.week + " weeks on)";
    document.getElementById("jct-scenario-lowest").textContent = people(result.lowest.headroom) +
      " places, week of " + day(result.lowest.date);
    document.getElementById("jct-scenario-sentence").textContent = text;
    // The visible summary under the chart described the default scenario; it now describes the one drawn.
    var summary = figure ? figure.querySelector(".jct-chart-summary") : null;
    if (summary) { summary.textContent = "The chart shows the scenario set by the levers above. " + text; }
    root.setAttribute("data-weeks", JSON.stringify(weeks.map(function (w) { return [w.population, w.capacity]; })));
    toAddress();
    if (csvUrl) { URL.revokeObjectURL(csvUrl); }
    csvUrl = URL.createObjectURL(new Blob([csv(weeks)], {type: "text/csv"}));
    var link = document.getElementById("jct-scenario-csv");
    link.href = csvUrl;
    link.setAttribute("download", "scenario-" + state.estate + ".csv");
    draw(rows(state.estate, weeks), text);
  }

  function still() {
    // jct-charts.js (loaded before this file on every chart page) shows the chart's static image.
    if (viewEl && window.jctShowStatic) { window.jctShowStatic(viewEl); }
  }
  function draw(values, text) {
    if (!viewEl) { return; }
    if (!window.vegaEmbed) { still(); return; }
    var mine = ++drawing;
    var s = JSON.parse(JSON.stringify(spec));
    s.datasets = {series: values};
    s.description = text;
    window.vegaEmbed(viewEl, s, {actions: false, renderer: "svg"}).then(function (result) {
      if (mine !== drawing) { result.finalize(); return; }
      if (view) { view.finalize(); }
      view = result;
      var svg = viewEl.querySelector("svg");
      if (svg) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", "Line chart of the scenario. " + text); }
      viewEl.setAttribute("data-drawn", "true");
      viewEl.setAttribute("data-drawn-count", String(mine));
    }).catch(function (err) { still(); console.error("scenario chart: " + err); });
  }

  function onLever(ev) {
    var input = ev.target;
    if (input === estateBox) {
      if (!Object.prototype.hasOwnProperty.call(data.estates, input.value) || input.value === state.estate) { return; }
      state.estate = input.value;
      var d = data.estates[state.estate].defaults;
      state.levers.growth = d.growth;
      state.levers.margin = d.margin;
      toForm();
      say(["Growth and the operating margin were reset to the defaults for " + data.estates[state.estate].label + "."]);
      update();
      return;
    }
    var lever = byName[input.name];
    if (!lever) { return; }
    var raw = input.value.trim();
    if (!/^-?\d{1,9}$/.test(raw)) {
      if (ev.type === "change") {
        input.value = String(state.levers[lever.name]);
        say([lever.label + ": enter a whole number from " + people(lever.minimum) + " to " + people(lever.maximum) + "."]);
      }
      return;
    }
    var v = parseInt(raw, 10), c = clampTo(lever, v);
    if (c !== v) {
      if (ev.type !== "change") { return; }  // while typing, wait for the whole number
      input.value = String(c);
      say([lever.label + ": " + people(v) + " is outside the range " + people(lever.minimum) + " to " +
           people(lever.maximum) + ", so " + people(c) + " is used."]);
    }
    if (state.levers[lever.name] === c) { return; }
    state.levers[lever.name] = c;
    update();
  }

  function downloadPng() {
    if (!view) { return; }
    view.view.toImageURL("png", 2).then(function (url) {
      var a = document.createElement("a");
      a.href = url;
      a.download = "scenario-" + state.estate + ".png";
      document.body.appendChild(a);
      a.click();
      a.remove();
    }).catch(function (err) { console.error("scenario png: " + err); });
  }

  function start() {
    fromAddress();
    toForm();
    form.hidden = false;
    document.getElementById("jct-scenario-share").hidden = false;
    form.addEventListener("input", onLever);
    form.addEventListener("change", onLever);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    document.getElementById("jct-scenario-reset").addEventListener("click", function () {
      state.levers = defaultsOf(state.estate);
      toForm();
      say(["The levers were reset to the defaults."]);
      update();
    });
    document.getElementById("jct-scenario-png").addEventListener("click", downloadPng);
    update();
  }

  var started = false;
  function once() { if (!started) { started = true; start(); } }
  if (document.readyState === "complete") { once(); } else {
    document.addEventListener("DOMContentLoaded", once);
    window.addEventListener("load", once);
  }
})();
