// Afterword related posts: a "Related posts" list and one "Also read:" link. No framework,
// no cookies. <div id="afterword" data-related="4" data-also-read-after="3"></div>
(function () {
  "use strict";
  if (window.afterwordRelated) return;  // embed.js and the page may both load it
  window.afterwordRelated = 1;
  var script = document.currentScript;
  var API = new URL(script ? script.src : "/", location.href).origin;
  function meta(name) {
    var m = document.querySelector('meta[property="' + name + '"],meta[name="' + name + '"]');
    return m ? m.content : "";
  }
  function el(tag, text) {
    var n = document.createElement(tag);
    if (text) n.textContent = text;
    return n;
  }
  function link(item) {
    var a = el("a", item.title || item.url);
    a.href = /^https?:/.test(item.url) ? item.url : "#";
    return a;
  }
  // Paragraph N counts the story's own paragraphs: not the date line or byline (in a
  // <header>, a .byline/.meta/.dateline, or a <p> that is only a <time>), not captions,
  // asides or the footer.
  function isBody(p) {
    var around = p.closest("header,footer,aside,nav,figure,blockquote");
    if (around && this.contains(around)) return false;
    if (/(^|\s)(byline|meta|dateline|author|date)(\s|$)/.test(p.className)) return false;
    var t = p.querySelector("time");
    return !(t && t.textContent.trim() === p.textContent.trim()) && /\S/.test(p.textContent);
  }
  function report(site, url, article) {
    // Listing and home pages are not articles: only pages with <article> or og:type article.
    if (!article && meta("og:type") !== "article") return;
    var modified = meta("article:modified_time") || meta("og:updated_time");
    var seen = "afterword.related." + url;
    try { if (localStorage.getItem(seen) === (modified || "1")) return; } catch (e) {}
    var tags = [].map.call(document.querySelectorAll('meta[property="article:tag"]'),
      function (m) { return m.content; });
    fetch(API + "/api/v1/related/report", {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({site: site, url: url, title: meta("og:title") || document.title,
        description: meta("og:description") || meta("description"), tags: tags.slice(0, 50),
        image: meta("og:image"), published_at: meta("article:published_time") || null,
        modified_at: modified || null, text: article ? article.innerText.slice(0, 200000) : ""})
    }).then(function (r) {
      if (r.ok) try { localStorage.setItem(seen, modified || "1"); } catch (e) {}
    }).catch(function () {});
  }
  function render(host) {
    var d = host.dataset, canonical = document.querySelector('link[rel="canonical"]');
    var site = d.site || location.origin;
    var url = d.url || (canonical && canonical.href) || location.origin + location.pathname;
    var article = document.querySelector("article");
    var n = Math.min(+d.related || 0, 20), after = +d.alsoReadAfter || 0;
    report(site, url, article);
    if (!n && !after) return;
    fetch(API + "/api/v1/related?site=" + encodeURIComponent(site) + "&url=" +
          encodeURIComponent(url) + "&limit=" + Math.max(n, 1)).then(function (r) {
      return r.ok ? r.json() : {related: []};
    }).then(function (res) {
      var items = res.related || [];
      if (!items.length) return;
      if (n) {
        var nav = el("nav"), h = el("h2", "Related posts"), ul = el("ul");
        h.id = "aw-related-h";
        nav.className = "aw-related";
        nav.setAttribute("aria-labelledby", h.id);
        items.slice(0, n).forEach(function (item) {
          var li = el("li");
          if (item.image && /^https?:/.test(item.image)) {
            var img = el("img");
            img.src = item.image; img.alt = ""; img.loading = "lazy"; img.width = 64;
            li.append(img);
          }
          li.append(link(item));
          if (item.published_at) {
            var t = el("time", new Date(item.published_at).toLocaleDateString());
            t.dateTime = item.published_at;
            li.append(" ", t);
          }
          ul.append(li);
        });
        nav.append(h, ul);
        host.before(nav);
      }
      var paras = article ? [].filter.call(article.querySelectorAll("p"), isBody, article) : [];
      if (after && paras.length > after) {
        var p = el("p", "Also read: ");
        p.className = "aw-also-read";
        p.append(link(items[0]));
        paras[after - 1].after(p);
      }
    }).catch(function () {});
  }
  var hosts = document.querySelectorAll("[data-related],[data-also-read-after]");
  if (!hosts.length && document.getElementById("afterword")) hosts = [document.getElementById("afterword")];
  [].forEach.call(hosts, render);
})();
