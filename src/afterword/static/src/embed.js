// Afterword comment widget. No framework, no cookies, no third-party requests.
// Built into ../embed.js by `python -m afterword.static.build` (inlines CSS and strings).
(function () {
  "use strict";
  var script = document.currentScript;
  var API = new URL(script ? script.src : "/", location.href).origin;
  var CSS = __CSS__;
  var STRINGS = __I18N__;
  var STORE = "afterword.";
  var uid = 0;

  // Small DOM helper: el("button", {type: "button", onclick: f}, ["text", child]).
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    (children || []).forEach(function (c) {
      if (c) node.append(c);
    });
    return node;
  }

  function pickLang(wanted) {
    var tags = [wanted, document.documentElement.lang].concat(navigator.languages || []);
    for (var i = 0; i < tags.length; i++) {
      var tag = (tags[i] || "").toLowerCase();
      if (!tag) continue;
      if (/^zh/.test(tag)) return "zh-Hans";
      var base = tag.split("-")[0];
      if (STRINGS[base]) return base;
    }
    return "en";
  }

  function load(key) {
    try {
      return JSON.parse(localStorage.getItem(STORE + key)) || null;
    } catch (e) {
      return null;
    }
  }

  function save(key, value) {
    try {
      if (value == null) localStorage.removeItem(STORE + key);
      else localStorage.setItem(STORE + key, JSON.stringify(value));
    } catch (e) {
      // Storage may be disabled; the widget still works, it just forgets.
    }
  }

  // Edit tokens of the reader's own comments, dropped once their window has closed.
  function editTokens() {
    var all = load("edit") || {};
    var now = Date.now();
    for (var id in all) if (Date.parse(all[id].until) < now) delete all[id];
    return all;
  }

  // "auto" follows the page: a dark page background means dark, else the OS preference.
  function pageIsDark() {
    for (var n = document.getElementById("afterword"); n && n.nodeType === 1; n = n.parentNode) {
      var m = getComputedStyle(n).backgroundColor.match(/[\d.]+/g);
      if (m && (m.length < 4 || +m[3] > 0.5)) return (0.299 * m[0] + 0.587 * m[1] + 0.114 * m[2]) < 128;
    }
    return matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function Widget(host) {
    var data = host.dataset;
    var canonical = document.querySelector('link[rel="canonical"]');
    this.site = data.site || location.origin;
    this.url = data.url || (canonical && canonical.href) || location.origin + location.pathname;
    this.title = data.title || document.title;
    this.lang = pickLang(data.lang);
    this.t = STRINGS[this.lang];
    this.sort = "newest";
    this.host = host;
    var root = host.shadowRoot || host.attachShadow({mode: "open"});
    if (root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.append(el("style", {text: CSS}));
    }
    this.box = el("div", {"class": "aw", lang: this.lang, dir: this.lang === "ar" ? "rtl" : "ltr"});
    this.status = el("div", {"class": "aw-status", role: "status", "aria-live": "polite"});
    this.heading = el("h2", {id: "aw-heading"});
    this.list = el("div", {"class": "aw-list"});
    this.moreBox = el("div", {"class": "aw-more"});
    // Blocks are independent sections; the thread is one of them (related posts can be another).
    this.thread = el("section", {"class": "aw-thread", "aria-labelledby": "aw-heading"},
      [this.heading, this.list, this.moreBox]);
    this.box.append(this.status, this.thread);
    root.append(this.box);
    this.applyTheme(data.theme || "auto");
    this.heading.textContent = this.t.loading;
    this.fetchPage(null, true);
  }

  var W = Widget.prototype;

  W.applyTheme = function (theme) {
    var box = this.box;
    var set = function () {
      box.dataset.theme = theme === "dark" || (theme !== "light" && pageIsDark()) ? "dark" : "light";
    };
    set();
    if (theme === "auto") matchMedia("(prefers-color-scheme: dark)").addEventListener("change", set);
  };

  W.say = function (text) {
    // Clearing first makes screen readers announce the same message twice in a row.
    var status = this.status;
    status.textContent = "";
    setTimeout(function () { status.textContent = text; }, 50);
  };

  W.api = function (method, path, body, token) {
    var headers = {};
    if (body) headers["content-type"] = "application/json";
    if (token) headers.authorization = "Bearer " + token;
    return fetch(API + "/api/v1/" + path, {
      method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
      credentials: "omit", mode: "cors"
    }).then(function (res) {
      if (res.status === 204) return {};
      return res.json().catch(function () { return {}; }).then(function (json) {
        if (!res.ok) throw new Error(typeof json.detail === "string" ? json.detail : "HTTP " + res.status);
        return json;
      });
    });
  };

  W.query = function (extra) {
    var q = new URLSearchParams({site: this.site, url: this.url, sort: this.sort});
    for (var k in extra) if (extra[k] != null) q.set(k, extra[k]);
    return "threads?" + q;
  };

  W.fetchPage = function (cursor, fresh) {
    var self = this;
    return this.api("GET", this.query({cursor: cursor})).then(function (page) {
      self.token = page.token;
      self.config = page.config;
      self.closed = page.thread.closed;
      self.count = page.thread.count;
      if (fresh) self.reset();
      self.add(page.comments);
      page.more_replies.forEach(function (id) { self.moreReplies(id); });
      self.renderMore(page.next);
    }, function (err) {
      self.heading.textContent = self.t.error;
      self.say(err.message);
    });
  };

  W.reset = function () {
    var t = this.t, self = this;
    this.nodes = {};
    this.list.textContent = "";
    this.updateCount(0);
    if (!this.top) {
      var sort = el("select", {id: "aw-sort", onchange: function () {
        self.sort = sort.value;
        self.fetchPage(null, true);
      }}, ["newest", "oldest", "top"].map(function (s) { return el("option", {value: s, text: t[s]}); }));
      this.top = el("div", {"class": "aw-top"}, [this.heading,
        el("div", {}, [el("label", {"for": "aw-sort", text: t.sort + " ", style: "display:inline"}), sort])]);
      this.thread.insertBefore(this.top, this.list);
      this.form = this.closed ? el("p", {text: t.closed}) : this.makeForm(null);
      this.thread.insertBefore(this.form, this.list);
    }
    this.empty = el("p", {"class": "aw-meta", text: t.empty});
    if (!this.count) this.list.append(this.empty);
  };

  W.updateCount = function (delta) {
    this.count += delta;
    this.heading.textContent = this.t.heading.replace("{n}", this.count);
  };

  W.renderMore = function (next) {
    var self = this;
    this.moreBox.textContent = "";
    if (!next) return;
    var button = el("button", {type: "button", text: this.t.more, onclick: function () {
      button.disabled = true;
      var last = self.list.lastElementChild;
      self.fetchPage(next, false).then(function () {
        var first = last && last.nextElementSibling;
        if (first) first.focus();
      });
    }});
    this.moreBox.append(button);
  };

  W.moreReplies = function (rootId) {
    var self = this, node = this.nodes[rootId];
    if (!node) return;
    var button = el("button", {type: "button", text: this.t.moreReplies, onclick: function () {
      button.disabled = true;
      self.api("GET", self.query({root: rootId, limit: 100})).then(function (page) {
        button.remove();
        self.add(page.comments);
        if (page.next) self.moreReplies(rootId);
      });
    }});
    node.querySelector(".aw-b").after(button);
  };

  // Comments arrive parents first (roots, then replies oldest first): attach each under its parent.
  W.add = function (comments, atTop) {
    var self = this;
    comments.forEach(function (c) {
      if (self.nodes[c.id]) return;
      var node = self.renderComment(c);
      self.nodes[c.id] = node;
      var parent = c.parent && self.nodes[c.parent];
      var into = parent ? parent.querySelector(".aw-replies") : self.list;
      if (atTop && !parent) into.prepend(node); else into.append(node);
    });
    if (comments.length && this.empty) this.empty.remove();
  };

  W.renderComment = function (c, pending) {
    var t = this.t, self = this;
    var mine = editTokens()[c.id];
    var name = c.author || t.anon;
    var author = c.website
      ? el("a", {href: c.website, rel: "nofollow ugc noopener", "class": "aw-author", text: name})
      : el("span", {"class": "aw-author", text: name});
    var when = new Date(c.created);
    var time = el("time", {datetime: c.created, title: when.toLocaleString(this.lang), text: relative(when, this.lang)});
    var body = el("div", {"class": "aw-body"});
    // Server-rendered HTML, sanitised by an allow-list on the server (markdown-it + nh3).
    body.innerHTML = c.html;
    var actions = el("div", {"class": "aw-actions"});
    var block = el("div", {"class": "aw-b"}, [
      el("div", {"class": "aw-meta"}, [author, " · ", time, c.edited ? " · " + t.edited : ""]), body, actions]);
    var node = el("article", {"class": "aw-c", id: "comment-" + c.id, tabindex: "-1", "aria-label": name},
      [block, el("div", {"class": "aw-replies"})]);
    if (c.deleted) {
      block.textContent = "";
      block.append(el("p", {"class": "aw-gone", text: t.deleted}));
      return node;
    }
    if (pending) block.append(el("p", {"class": "aw-pending", text: t.pending}));
    if (!this.closed && !pending) {
      actions.append(el("button", {type: "button", text: t.reply, "aria-label": t.replyTo.replace("{name}", name),
        onclick: function () { self.openReply(c, node); }}));
    }
    if (!pending) {
      // One like per reader: the server counts it once, however often this is pressed.
      var like = el("button", {type: "button"}), show = function (n) {
        like.textContent = "\u2665 " + n;
        like.setAttribute("aria-label", t.like + " (" + n + ")");
      };
      show(c.likes);
      like.onclick = function () {
        self.api("POST", "comments/" + c.id + "/like").then(function (r) {
          show(r.likes);
          like.setAttribute("aria-pressed", "true");
        }, function (err) { self.say(err.message); });
      };
      actions.append(like);
    }
    if (mine) {
      actions.append(
        el("button", {type: "button", text: t.edit, onclick: function () { self.edit(c, node, body); }}),
        el("button", {type: "button", text: t["delete"], onclick: function () { self.remove(c, node); }}));
    }
    return node;
  };

  W.openReply = function (c, node) {
    if (this.replyForm) this.replyForm.remove();
    this.replyForm = this.makeForm(c);
    node.querySelector(".aw-b").after(this.replyForm);
    this.replyForm.querySelector("textarea").focus();
  };

  W.makeForm = function (parent) {
    var t = this.t, self = this, n = ++uid, saved = load("author");
    var field = function (name, label, type, extra) {
      var input = el("input", Object.assign({id: "aw-" + name + n, name: name, type: type,
        value: saved && saved[name] || ""}, extra));
      return el("div", {}, [el("label", {"for": input.id, text: label}), input]);
    };
    var text = el("textarea", {id: "aw-text" + n, name: "text", required: true, rows: "5", maxlength: "10000",
      "aria-describedby": "aw-hint" + n});
    var preview = el("div", {"class": "aw-preview", hidden: true, "aria-live": "polite"});
    var toggle = el("button", {type: "button", text: t.preview, "aria-pressed": "false", onclick: function () {
      var show = preview.hidden;
      toggle.setAttribute("aria-pressed", show ? "true" : "false");
      toggle.textContent = show ? t.write : t.preview;
      text.hidden = show;
      preview.hidden = !show;
      if (!show) return text.focus();
      self.api("POST", "preview", {text: text.value}).then(function (r) {
        preview.innerHTML = r.html || "";
        if (!r.html) preview.textContent = t.nothing;
      });
    }});
    var remember = el("input", {type: "checkbox", id: "aw-remember" + n, checked: !!saved});
    var notify = el("input", {type: "checkbox", id: "aw-notify" + n, name: "notify"});
    var error = el("p", {"class": "aw-error", role: "alert"});
    var button = el("button", {type: "submit", "class": "aw-primary", text: t.post});
    var req = this.config.require_email;
    var form = el("form", {novalidate: true, "aria-label": parent ? t.replyTo.replace("{name}", parent.author || t.anon) : t.leave}, [
      el("h3", {text: parent ? t.replyTo.replace("{name}", parent.author || t.anon) : t.leave}),
      el("label", {"for": text.id, text: t.comment}), text, preview,
      el("div", {"class": "aw-actions"}, [toggle, el("span", {"class": "aw-hint", id: "aw-hint" + n, text: t.hint})]),
      el("div", {"class": "aw-row"}, [
        field("author", t.name, "text", {autocomplete: "name", maxlength: "100"}),
        field("email", req ? t.emailReq : t.email, "email", {autocomplete: "email", maxlength: "254", required: req}),
        field("website", t.website, "url", {autocomplete: "url", maxlength: "512"})]),
      el("div", {"class": "aw-hp", "aria-hidden": "true"}, [
        el("label", {"for": "aw-hp" + n, text: "Leave this field empty"}),
        el("input", {id: "aw-hp" + n, name: "honeypot", tabindex: "-1", autocomplete: "off"})]),
      el("div", {"class": "aw-check"}, [remember, el("label", {"for": remember.id, text: t.remember})]),
      el("div", {"class": "aw-check"}, [notify, el("label", {"for": notify.id, text: t.notify})]),
      error,
      el("div", {"class": "aw-actions"}, [button, parent && el("button", {type: "button", text: t.cancel, onclick: function () {
        form.remove();
        self.replyForm = null;
        var back = self.nodes[parent.id].querySelector(".aw-actions button");
        if (back) back.focus();
      }})]),
      el("p", {"class": "aw-privacy"}, [el("a", {href: API + this.config.privacy_url, target: "_blank", rel: "noopener", text: t.privacy})])
    ]);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      error.textContent = "";
      if (!text.value.trim()) {
        error.textContent = t.required;
        return text.focus();
      }
      var values = {};
      ["author", "email", "website", "honeypot"].forEach(function (k) { values[k] = form.elements[k].value; });
      button.disabled = true;
      self.api("POST", "comments", {
        site: self.site, url: self.url, title: self.title, parent: parent ? parent.id : null,
        author: values.author, email: values.email, website: values.website, text: text.value,
        honeypot: values.honeypot, token: self.token, notify: notify.checked
      }).then(function (res) {
        save("author", remember.checked ? {author: values.author, email: values.email, website: values.website} : null);
        var tokens = editTokens();
        if (res.edit_token) tokens[res.comment.id] = {token: res.edit_token, until: res.edit_until};
        save("edit", tokens);
        self.posted(res, parent, form, text);
      }, function (err) {
        error.textContent = err.message;
        self.say(err.message);
      }).then(function () { button.disabled = false; });
    });
    return form;
  };

  W.posted = function (res, parent, form, text) {
    var pending = res.status !== "published";
    var node = this.renderComment(res.comment, pending);
    this.nodes[res.comment.id] = node;
    var into = parent && this.nodes[res.comment.parent] ? this.nodes[res.comment.parent].querySelector(".aw-replies") : this.list;
    if (parent) into.append(node); else into.prepend(node);
    if (this.empty) this.empty.remove();
    if (!pending) this.updateCount(1);
    text.value = "";
    if (parent) {
      form.remove();
      this.replyForm = null;
    }
    node.focus();
    this.say(pending ? this.t.pending : this.t.published);
  };

  W.edit = function (c, node, body) {
    var t = this.t, self = this, mine = editTokens()[c.id];
    if (!mine || node.querySelector(".aw-edit")) return;
    var n = ++uid;
    var area = el("textarea", {id: "aw-edit" + n, rows: "5", maxlength: "10000"});
    area.value = c.text || body.textContent;
    var form = el("form", {"class": "aw-edit", "aria-label": t.edit}, [
      el("label", {"for": area.id, text: t.comment}), area,
      el("div", {"class": "aw-actions"}, [el("button", {type: "submit", "class": "aw-primary", text: t.save}),
        el("button", {type: "button", text: t.cancel, onclick: function () { form.remove(); body.hidden = false; }})])]);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      self.api("PATCH", "comments/" + c.id, {text: area.value}, mine.token).then(function (res) {
        c.text = res.comment.text;
        body.innerHTML = res.comment.html;
        body.hidden = false;
        form.remove();
        if (res.status !== "published" && !node.querySelector(".aw-pending")) {
          body.after(el("p", {"class": "aw-pending", text: t.pending}));
        }
        node.focus();
        self.say(res.status === "published" ? t.updated : t.pending);
      }, function (err) { self.say(err.message); });
    });
    body.hidden = true;
    body.after(form);
    area.focus();
  };

  W.remove = function (c, node) {
    var self = this, mine = editTokens()[c.id];
    if (!mine || !confirm(this.t.confirm)) return;
    this.api("DELETE", "comments/" + c.id, null, mine.token).then(function () {
      var tokens = editTokens();
      delete tokens[c.id];
      save("edit", tokens);
      var published = !node.querySelector(".aw-pending");
      if (node.querySelector(".aw-replies").children.length) {
        var block = node.querySelector(".aw-b");
        block.textContent = "";
        block.append(el("p", {"class": "aw-gone", text: self.t.deleted}));
      } else {
        node.remove();
      }
      if (published) self.updateCount(-1);
      self.say(self.t.removed);
      self.heading.setAttribute("tabindex", "-1");
      self.heading.focus();
    }, function (err) { self.say(err.message); });
  };

  function relative(date, lang) {
    var s = (date - Date.now()) / 1000, units = [[60, "second"], [60, "minute"], [24, "hour"], [30, "day"], [12, "month"], [Infinity, "year"]];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(s) < units[i][0]) {
        try {
          return new Intl.RelativeTimeFormat(lang, {numeric: "auto"}).format(Math.round(s), units[i][1]);
        } catch (e) {
          return date.toLocaleDateString();
        }
      }
      s /= units[i][0];
    }
  }

  // Related posts live in their own small script (related.js), so a site can use them
  // without the comments; it also tells the server about this article the first time.
  function loadRelated() {
    if (window.afterwordRelated || document.querySelector('script[src$="/related.js"]')) return;
    document.head.append(el("script", {src: API + "/related.js", async: true}));
  }

  function start() {
    var host = document.getElementById("afterword");
    if (host && !host.afterword) host.afterword = new Widget(host);
    if (host) loadRelated();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
