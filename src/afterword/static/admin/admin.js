// Afterword admin: keyboard shortcuts for the queue, "select page", and focus after actions.
// Served as a file so the page's CSP can forbid inline scripts.
(function () {
  "use strict";
  function cards() { return Array.prototype.slice.call(document.querySelectorAll("#queue article.comment")); }
  function current() { return document.querySelector("#queue article.comment.current"); }
  function select(card) {
    var old = current();
    if (old) old.classList.remove("current");
    if (!card) return;
    card.classList.add("current");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }
  function move(step) {
    var list = cards(), at = list.indexOf(current());
    if (!list.length) return;
    select(list[Math.max(0, Math.min(list.length - 1, at < 0 ? 0 : at + step))]);
  }
  var next = null;  // the card to select once the acted-on one is swapped out

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || ev.target.isContentEditable) return;
    if (!document.getElementById("queue")) return;
    var key = ev.key.toLowerCase();
    if (key === "j") { move(1); ev.preventDefault(); return; }
    if (key === "k") { move(-1); ev.preventDefault(); return; }
    if (key === "u") { document.querySelector("#undo button").click(); ev.preventDefault(); return; }
    var card = current();
    if (!card) return;
    if (key === "x") { var box = card.querySelector("input[type=checkbox]"); box.checked = !box.checked; return; }
    // In the spam queue approving is "not spam": `a` and `n` do the same there.
    var button = card.querySelector('button[data-key="' + key + '"]') ||
      (key === "a" ? card.querySelector('button[data-key="n"]') : null);
    if (!button) return;
    var list = cards(), at = list.indexOf(card);
    next = list[at + 1] || list[at - 1] || null;
    ev.preventDefault();
    button.click();
  });

  document.addEventListener("htmx:afterSwap", function (ev) {
    if (next && document.body.contains(next)) select(next);
    next = null;
    // The confirmation line fades after a moment so the queue stays short.
    var stale = document.querySelectorAll("#queue article.done");
    window.setTimeout(function () {
      Array.prototype.forEach.call(stale, function (el) { el.remove(); });
      var left = cards().length;
      if (!left && !document.querySelector("#queue .empty")) {
        var p = document.createElement("p");
        p.className = "empty";
        p.textContent = "Queue cleared.";
        document.getElementById("queue").appendChild(p);
      }
    }, 1500);
  });

  document.addEventListener("click", function (ev) {
    var card = ev.target.closest && ev.target.closest("#queue article.comment");
    if (card && ev.target.tagName !== "A" && ev.target.tagName !== "BUTTON") select(card);
  });

  document.addEventListener("change", function (ev) {
    if (ev.target.id !== "select-all") return;
    cards().forEach(function (card) {
      card.querySelector("input[type=checkbox]").checked = ev.target.checked;
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    var first = cards()[0];
    if (first) select(first);
  });
})();
