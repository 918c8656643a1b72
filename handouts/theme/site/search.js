/* The index page's search: Pagefind's index of the handout pages (pagefind/), results as
   the reader types, narrowed by language. Without JavaScript the search stays hidden and
   the list of handouts is the page.

   Content-safe: everything that comes from the index (titles, excerpts, language names)
   is put into the page as text (textContent, text nodes); an excerpt's <mark> highlights
   are rebuilt as elements from an inert parse, never assigned as HTML. Result links are
   only pages of this site. */
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || !("fetch" in window)) { return; }
  var form = box.querySelector("form");
  var input = document.getElementById("search-input");
  var language = document.getElementById("search-lang");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var browse = document.getElementById("browse");
  var root = new URL(".", document.baseURI).href;
  var LANG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;
  var MAX = 20;
  var engine = null;
  var asked = 0;

  function load() {
    if (!engine) {
      engine = import(new URL("pagefind/pagefind.js", root).href).then(function (pagefind) {
        return Promise.resolve(pagefind.options({ excerptLength: 24 })).then(function () {
          return pagefind;
        });
      });
    }
    return engine;
  }

  function say(text) { status.textContent = text; }

  /* Thai has no spaces between words; the index has one at each word break. */
  function words(query) {
    if (!/[\u0e01-\u0e5b]/.test(query) || !window.Intl || !Intl.Segmenter) { return query; }
    var parts = [];
    var segments = new Intl.Segmenter("th", { granularity: "word" }).segment(query);
    for (var s of segments) { if (s.segment.trim()) { parts.push(s.segment.trim()); } }
    return parts.join(" ");
  }

  function excerpt(html) {
    var p = document.createElement("p");
    var parsed = new DOMParser().parseFromString("<body>" + html, "text/html").body;
    parsed.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(node.textContent));
      }
    });
    return p;
  }

  function link(url) {
    var target = new URL(String(url).replace(/^\/+/, ""), root);
    return target.href.indexOf(root) === 0 ? target.href : null;
  }

  function show(query, results, total) {
    list.textContent = "";
    list.removeAttribute("aria-busy");
    results.forEach(function (data) {
      var href = link(data.url);
      if (!href) { return; }
      var item = document.createElement("li");
      var tag = ((data.filters || {}).lang || [])[0];
      if (tag && LANG.test(tag)) { item.lang = tag; }
      var a = document.createElement("a");
      a.href = href;
      a.textContent = (data.meta && data.meta.title) || href;
      var h = document.createElement("h2");
      h.appendChild(a);
      item.appendChild(h);
      if (data.meta && data.meta.language) {
        var meta = document.createElement("p");
        meta.className = "meta";
        meta.textContent = data.meta.language;
        item.appendChild(meta);
      }
      item.appendChild(excerpt(data.excerpt || ""));
      list.appendChild(item);
    });
    if (!total) {
      say("No handout matches \u201c" + query + "\u201d.");
    } else {
      say((total === 1 ? "1 handout found" : total + " handouts found") +
          (total > MAX ? ", showing the first " + MAX : "") + ".");
    }
  }

  function run() {
    var query = input.value.trim();
    var mine = ++asked;
    browse.hidden = query !== "";
    if (!query) { list.textContent = ""; list.removeAttribute("aria-busy"); say(""); return; }
    list.setAttribute("aria-busy", "true");
    var filters = language.value ? { lang: language.value } : {};
    load().then(function (pagefind) {
      return pagefind.debouncedSearch(words(query), { filters: filters }, 150);
    }).then(function (search) {
      if (search === null || mine !== asked) { return null; }
      return Promise.all(search.results.slice(0, MAX).map(function (r) { return r.data(); }))
        .then(function (results) {
          if (mine === asked) { show(query, results, search.results.length); }
        });
    }).catch(function () {
      list.removeAttribute("aria-busy");
      say("The search could not be loaded. The list of all handouts is below.");
      browse.hidden = false;
    });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  input.addEventListener("input", run);
  language.addEventListener("change", run);
  box.hidden = false;
  var asked_for = new URLSearchParams(location.search).get("q");
  if (asked_for) { input.value = asked_for; run(); }
}());
