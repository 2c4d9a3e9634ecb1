/* Draw every chart on the page with the vendored Vega bundle, and offer "Copy link" on each.
   The chart's spec is data (<script type="application/json">), never code, so nothing from the data can run.
   Both this file and the bundle are deferred: by DOMContentLoaded both have run, whatever their order. If the
   bundle never arrives or Vega fails, the chart's static image stays. */
(function () {
  function still(view) {
    if (view.querySelector("img")) { return; }
    var img = document.createElement("img");
    img.className = "jct-chart-static";
    img.src = view.getAttribute("data-static");
    img.alt = view.getAttribute("data-alt") || "";
    img.setAttribute("width", "100%");
    view.appendChild(img);
  }

  // The scenario page swaps its chart's data and draws it again: it falls back the same way.
  window.jctShowStatic = still;

  function draw(view) {
    var id = view.getAttribute("data-chart-id");
    var source = document.getElementById("spec-" + id);
    if (!window.vegaEmbed || !source) { still(view); return; }
    var spec;
    try { spec = JSON.parse(source.textContent); } catch (e) { still(view); console.error("chart " + id + ": " + e); return; }
    window.vegaEmbed(view, spec, {actions: false, renderer: "svg"}).then(function () {
      view.setAttribute("data-drawn", "true");
      var svg = view.querySelector("svg");
      if (svg) {
        svg.setAttribute("role", "img");
        svg.setAttribute("aria-label", view.getAttribute("data-alt") || "");
      }
    }).catch(function (e) { still(view); console.error("chart " + id + ": " + e); });
  }

  function copyLink(button) {
    var url = new URL(button.getAttribute("data-url"), document.baseURI).href;
    var status = button.parentNode.querySelector(".jct-copy-status");
    function said(text) { if (status) { status.textContent = text; } }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(function () { said("Link copied: " + url); },
                                              function () { said("Copy this link: " + url); });
    } else {
      said("Copy this link: " + url);
    }
  }

  function start() {
    var views = document.querySelectorAll(".jct-chart-view[data-chart-id]");
    for (var i = 0; i < views.length; i++) { draw(views[i]); }
    // Without the site's address in the build, the embed code names the chart's page relative to this one: made
    // absolute here, it works when pasted into another site.
    var codes = document.querySelectorAll(".jct-embed-code[data-src]");
    for (var k = 0; k < codes.length; k++) {
      var rel = codes[k].getAttribute("data-src");
      codes[k].textContent = codes[k].textContent.replace('src="' + rel + '"',
                                                          'src="' + new URL(rel, document.baseURI).href + '"');
    }
    // Likewise a citation's address, written relative to the site's root.
    var cites = document.querySelectorAll(".jct-cite[data-url]");
    for (var c = 0; c < cites.length; c++) {
      var from = cites[c].getAttribute("data-url");
      var to = new URL(cites[c].getAttribute("data-from-root") + from, document.baseURI).href;
      var walker = document.createTreeWalker(cites[c], NodeFilter.SHOW_TEXT);
      for (var node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.nodeValue.indexOf(from) >= 0) { node.nodeValue = node.nodeValue.split(from).join(to); }
      }
    }
    var buttons = document.querySelectorAll("button.jct-copy-link");
    for (var j = 0; j < buttons.length; j++) {
      buttons[j].hidden = false;
      buttons[j].addEventListener("click", function (ev) { copyLink(ev.currentTarget); });
    }
  }

  // Deferred scripts run while readyState is already "interactive" but before DOMContentLoaded, and the bundle may
  // come after this file: so wait for DOMContentLoaded (or load, if that has passed), and start once.
  var started = false;
  function once() { if (!started) { started = true; start(); } }
  if (document.readyState === "complete") { once(); } else {
    document.addEventListener("DOMContentLoaded", once);
    window.addEventListener("load", once);
  }
})();
