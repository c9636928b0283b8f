// Fills <a data-afterword-count href="..."> with comment counts: one request for the page.
(function () {
  "use strict";
  var script = document.currentScript;
  var API = new URL(script.src).origin;
  var site = script.dataset.site || location.origin;
  var WORDS = {en: "comments", "zh": "条评论", es: "comentarios", de: "Kommentare", fr: "commentaires", ar: "تعليقات"};
  var ONE = {en: "comment", es: "comentario", de: "Kommentar", fr: "commentaire"};
  var lang = (document.documentElement.lang || "en").toLowerCase().split("-")[0];
  if (!WORDS[lang]) lang = "en";
  var links = Array.prototype.slice.call(document.querySelectorAll("[data-afterword-count]"));
  if (!links.length) return;
  var urls = links.map(function (a) {
    var u = new URL(a.dataset.afterwordCount || a.href, location.href);
    u.hash = "";
    return u.href;
  });
  fetch(API + "/api/v1/counts", {
    method: "POST", credentials: "omit", headers: {"content-type": "application/json"},
    body: JSON.stringify({site: site, urls: urls})
  }).then(function (r) { return r.ok ? r.json() : {}; }).then(function (counts) {
    links.forEach(function (a, i) {
      var n = counts[urls[i]] || 0;
      var word = n === 1 && ONE[lang] ? ONE[lang] : WORDS[lang];
      a.textContent = n.toLocaleString(lang) + (lang === "zh" ? "" : " ") + word;
    });
  });
})();
