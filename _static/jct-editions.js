/* On a page of an edition: read the site's editions.json; if a newer edition exists, say so, and link to this
   page in every edition. Without JavaScript (or editions.json) the page keeps its static edition line. */
(function () {
  var box = document.querySelector(".jct-edition[data-edition]");
  if (!box || !window.fetch) { return; }
  var me = box.getAttribute("data-edition"), root = box.getAttribute("data-site-root"),
      page = box.getAttribute("data-page");
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) { node.setAttribute(k, attrs[k]); }
    if (text) { node.textContent = text; }
    return node;
  }
  function pageIn(ed) {
    var has = ed.pages && ed.pages.indexOf(page) >= 0;
    return root + "editions/" + ed.id + "/" + (has ? page : "index.html");
  }
  function longDate(iso) {
    var d = new Date(iso + "T00:00:00Z");
    return isNaN(d) ? iso : d.toLocaleDateString("en-GB", {day: "numeric", month: "long", year: "numeric", timeZone: "UTC"});
  }
  fetch(root + "editions.json").then(function (r) { return r.ok ? r.json() : null; }).then(function (index) {
    if (!index || !index.editions) { return; }
    var mine = null, latest = null;
    index.editions.forEach(function (ed) {
      if (ed.id === me) { mine = ed; }
      if (ed.id === index.latest) { latest = ed; }
    });
    if (latest && latest.id !== me) {
      var old = el("p", {"class": "jct-edition-old"});
      old.appendChild(document.createTextNode("You are viewing the edition of " + longDate(mine ? mine.date : me) +
        "; the latest is " + longDate(latest.date) + " (" + latest.id + "). "));
      old.appendChild(el("a", {href: pageIn(latest)}, "See this page in the latest edition"));
      box.classList.add("jct-edition-is-old");
      box.insertBefore(old, box.firstChild);
    }
    if (index.editions.length > 1) {
      var nav = el("nav", {"class": "jct-edition-switch", "aria-label": "This page in other editions"});
      nav.appendChild(document.createTextNode("This page in other editions: "));
      index.editions.forEach(function (ed, i) {
        if (i) { nav.appendChild(document.createTextNode(" · ")); }
        if (ed.id === me) {
          nav.appendChild(el("strong", {"aria-current": "page"}, ed.id));
        } else {
          nav.appendChild(el("a", {href: pageIn(ed), hreflang: "en"}, ed.id + (ed.id === index.latest ? " (latest)" : "")));
        }
      });
      box.appendChild(nav);
    }
  }).catch(function () { /* offline or no editions.json: the static line stays */ });
})();
