(function () {
"use strict";
var script = document.currentScript;
var API = new URL(script ? script.src : "/", location.href).origin;
var CSS = ":host{all:initial;display:block;contain:content}.aw{--fg:var(--aw-fg,#1d1d1f);--muted:var(--aw-muted,#5f6368);--bg:var(--aw-bg,#fff);--line:var(--aw-line,#d0d4d9);--accent:var(--aw-accent,#0b57d0);--soft:var(--aw-soft,#f3f5f7);--warn:var(--aw-warn,#8a5300);font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",sans-serif;color:var(--fg);background:var(--bg);padding:.5rem 0;text-align:start}.aw[data-theme=\"dark\"]{--fg:var(--aw-fg,#e8eaed);--muted:var(--aw-muted,#a8adb3);--bg:var(--aw-bg,#18191b);--line:var(--aw-line,#3c4043);--accent:var(--aw-accent,#8ab4f8);--soft:var(--aw-soft,#232528);--warn:var(--aw-warn,#f3c26b)}*{box-sizing:border-box}h2{font-size:1.25em;margin:.5em 0}h3{font-size:1.05em;margin:0 0 .4em}a{color:var(--accent)}button,input,textarea,select{font:inherit;color:inherit}button{cursor:pointer;background:none;border:1px solid transparent;border-radius:6px;padding:.15em .5em;color:var(--accent)}button:hover{background:var(--soft)}button.aw-primary{background:var(--accent);color:var(--bg);padding:.4em 1em;font-weight:600}button:disabled{opacity:.6;cursor:default}:focus-visible{outline:3px solid var(--accent);outline-offset:2px}.aw-top{display:flex;flex-wrap:wrap;gap:.5em;align-items:center;justify-content:space-between}select,input,textarea{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.35em .5em}textarea{width:100%;min-height:6em;resize:vertical}form{margin:.75em 0 1.25em;padding:.75em;border:1px solid var(--line);border-radius:8px;background:var(--soft)}label{display:block;font-size:.9em;margin:.5em 0 .15em}.aw-row{display:grid;grid-template-columns:repeat(auto-fit,minmax(12em,1fr));gap:0 .75em}.aw-row input{width:100%}.aw-check{display:flex;gap:.4em;align-items:center;margin:.6em 0}.aw-check label{margin:0}.aw-hint,.aw-meta,.aw-privacy{color:var(--muted);font-size:.85em}.aw-actions{display:flex;gap:.5em;align-items:center;flex-wrap:wrap;margin-top:.6em}.aw-hp{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}.aw-preview{border:1px dashed var(--line);border-radius:6px;padding:.5em;min-height:3em;background:var(--bg)}.aw-error{color:#b3261e;font-size:.9em}.aw[data-theme=\"dark\"] .aw-error{color:#f2b8b5}.aw-status{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}.aw-list{margin:0;padding:0}.aw-c{margin:.9em 0 0}.aw-c:focus{outline:none}.aw-c:focus-visible>.aw-b{outline:3px solid var(--accent)}.aw-b{border-radius:6px}.aw-replies{margin-inline-start:1.1em;padding-inline-start:.8em;border-inline-start:2px solid var(--line)}.aw-author{font-weight:600}.aw-body{overflow-wrap:anywhere}.aw-body p{margin:.3em 0}.aw-body pre{overflow-x:auto;background:var(--soft);padding:.5em;border-radius:6px}.aw-body blockquote{margin:.3em 0;padding-inline-start:.8em;border-inline-start:3px solid var(--line);color:var(--muted)}.aw-pending{color:var(--warn);font-size:.9em;font-style:italic}.aw-gone{color:var(--muted);font-style:italic}.aw-more{margin:1em 0}";
var STRINGS = {"en":{"heading":"Comments ({n})","leave":"Leave a Reply","replyTo":"Reply to {name}","comment":"Comment","hint":"Markdown: *italic*, **bold**, [link](https://…), `code`","name":"Name","email":"Email (optional, never shown)","emailReq":"Email (never shown)","website":"Website (optional)","remember":"Remember my name, email and website in this browser","preview":"Preview","write":"Write","post":"Post Comment","cancel":"Cancel","reply":"Reply","like":"Like","edit":"Edit","delete":"Delete","save":"Save","confirm":"Delete this comment?","deleted":"This comment was deleted.","pending":"Your comment is awaiting moderation.","published":"Your comment is published.","updated":"Your comment was updated.","removed":"Your comment was deleted.","more":"Load more comments","moreReplies":"Show more replies","sort":"Sort by","newest":"Newest","oldest":"Oldest","top":"Top","anon":"Anonymous","edited":"edited","privacy":"Learn how your comment data is processed","empty":"Be the first to comment.","error":"Could not reach the comment server. Please try again.","loading":"Loading comments…","closed":"Comments are closed.","nothing":"Nothing to preview.","required":"Please write a comment first.","notify":"Email me when someone replies"},"zh-Hans":{"heading":"评论（{n}）","leave":"发表评论","replyTo":"回复 {name}","comment":"评论","hint":"Markdown：*斜体*、**粗体**、[链接](https://…)、`代码`","name":"姓名","email":"电子邮箱（选填，不会公开）","emailReq":"电子邮箱（不会公开）","website":"网站（选填）","remember":"在此浏览器中记住我的姓名、邮箱和网站","preview":"预览","write":"编辑","post":"发表评论","cancel":"取消","reply":"回复","like":"赞","edit":"编辑","delete":"删除","save":"保存","confirm":"删除这条评论？","deleted":"此评论已被删除。","pending":"您的评论正在等待审核。","published":"您的评论已发表。","updated":"您的评论已更新。","removed":"您的评论已删除。","more":"加载更多评论","moreReplies":"显示更多回复","sort":"排序","newest":"最新","oldest":"最早","top":"最热","anon":"匿名","edited":"已编辑","privacy":"了解您的评论数据如何被处理","empty":"来发表第一条评论吧。","error":"无法连接评论服务器，请重试。","loading":"正在加载评论…","closed":"评论已关闭。","nothing":"没有可预览的内容。","required":"请先填写评论内容。","notify":"有人回复时给我发邮件"},"es":{"heading":"Comentarios ({n})","leave":"Deja una respuesta","replyTo":"Responder a {name}","comment":"Comentario","hint":"Markdown: *cursiva*, **negrita**, [enlace](https://…), `código`","name":"Nombre","email":"Correo (opcional, nunca se muestra)","emailReq":"Correo (nunca se muestra)","website":"Web (opcional)","remember":"Recordar mi nombre, correo y web en este navegador","preview":"Vista previa","write":"Escribir","post":"Publicar comentario","cancel":"Cancelar","reply":"Responder","like":"Me gusta","edit":"Editar","delete":"Eliminar","save":"Guardar","confirm":"¿Eliminar este comentario?","deleted":"Este comentario fue eliminado.","pending":"Tu comentario está pendiente de moderación.","published":"Tu comentario se ha publicado.","updated":"Tu comentario se ha actualizado.","removed":"Tu comentario se ha eliminado.","more":"Cargar más comentarios","moreReplies":"Mostrar más respuestas","sort":"Ordenar por","newest":"Más recientes","oldest":"Más antiguos","top":"Mejores","anon":"Anónimo","edited":"editado","privacy":"Aprende cómo se procesan los datos de tus comentarios","empty":"Sé el primero en comentar.","error":"No se pudo contactar con el servidor de comentarios. Inténtalo de nuevo.","loading":"Cargando comentarios…","closed":"Los comentarios están cerrados.","nothing":"Nada que previsualizar.","required":"Escribe primero un comentario.","notify":"Avísame por correo cuando alguien responda"},"de":{"heading":"Kommentare ({n})","leave":"Schreibe einen Kommentar","replyTo":"Antwort an {name}","comment":"Kommentar","hint":"Markdown: *kursiv*, **fett**, [Link](https://…), `Code`","name":"Name","email":"E-Mail (optional, wird nie angezeigt)","emailReq":"E-Mail (wird nie angezeigt)","website":"Website (optional)","remember":"Name, E-Mail und Website in diesem Browser speichern","preview":"Vorschau","write":"Schreiben","post":"Kommentar abschicken","cancel":"Abbrechen","reply":"Antworten","like":"Gefällt mir","edit":"Bearbeiten","delete":"Löschen","save":"Speichern","confirm":"Diesen Kommentar löschen?","deleted":"Dieser Kommentar wurde gelöscht.","pending":"Dein Kommentar muss noch freigegeben werden.","published":"Dein Kommentar ist veröffentlicht.","updated":"Dein Kommentar wurde aktualisiert.","removed":"Dein Kommentar wurde gelöscht.","more":"Weitere Kommentare laden","moreReplies":"Weitere Antworten zeigen","sort":"Sortieren nach","newest":"Neueste","oldest":"Älteste","top":"Beliebteste","anon":"Anonym","edited":"bearbeitet","privacy":"Erfahre, wie deine Kommentardaten verarbeitet werden","empty":"Schreibe den ersten Kommentar.","error":"Der Kommentar-Server ist nicht erreichbar. Bitte versuche es erneut.","loading":"Kommentare werden geladen…","closed":"Die Kommentare sind geschlossen.","nothing":"Nichts für die Vorschau.","required":"Bitte schreibe zuerst einen Kommentar.","notify":"Benachrichtige mich per E-Mail bei Antworten"},"fr":{"heading":"Commentaires ({n})","leave":"Laisser un commentaire","replyTo":"Répondre à {name}","comment":"Commentaire","hint":"Markdown : *italique*, **gras**, [lien](https://…), `code`","name":"Nom","email":"E-mail (facultatif, jamais affiché)","emailReq":"E-mail (jamais affiché)","website":"Site web (facultatif)","remember":"Enregistrer mon nom, mon e-mail et mon site dans ce navigateur","preview":"Aperçu","write":"Écrire","post":"Publier le commentaire","cancel":"Annuler","reply":"Répondre","like":"J’aime","edit":"Modifier","delete":"Supprimer","save":"Enregistrer","confirm":"Supprimer ce commentaire ?","deleted":"Ce commentaire a été supprimé.","pending":"Votre commentaire est en attente de modération.","published":"Votre commentaire est publié.","updated":"Votre commentaire a été modifié.","removed":"Votre commentaire a été supprimé.","more":"Charger plus de commentaires","moreReplies":"Afficher plus de réponses","sort":"Trier par","newest":"Plus récents","oldest":"Plus anciens","top":"Meilleurs","anon":"Anonyme","edited":"modifié","privacy":"En savoir plus sur la façon dont les données de vos commentaires sont utilisées","empty":"Soyez le premier à commenter.","error":"Impossible de joindre le serveur de commentaires. Veuillez réessayer.","loading":"Chargement des commentaires…","closed":"Les commentaires sont fermés.","nothing":"Rien à prévisualiser.","required":"Veuillez d'abord écrire un commentaire.","notify":"M'avertir par e-mail en cas de réponse"},"ar":{"heading":"التعليقات ({n})","leave":"اترك تعليقاً","replyTo":"الرد على {name}","comment":"التعليق","hint":"ماركداون: *مائل*، **عريض**، [رابط](https://…)، `شيفرة`","name":"الاسم","email":"البريد الإلكتروني (اختياري، لن يُعرض)","emailReq":"البريد الإلكتروني (لن يُعرض)","website":"الموقع (اختياري)","remember":"تذكّر اسمي وبريدي وموقعي في هذا المتصفح","preview":"معاينة","write":"كتابة","post":"أرسل التعليق","cancel":"إلغاء","reply":"رد","like":"إعجاب","edit":"تعديل","delete":"حذف","save":"حفظ","confirm":"هل تريد حذف هذا التعليق؟","deleted":"تم حذف هذا التعليق.","pending":"تعليقك بانتظار المراجعة.","published":"تم نشر تعليقك.","updated":"تم تحديث تعليقك.","removed":"تم حذف تعليقك.","more":"تحميل المزيد من التعليقات","moreReplies":"عرض المزيد من الردود","sort":"ترتيب حسب","newest":"الأحدث","oldest":"الأقدم","top":"الأفضل","anon":"مجهول","edited":"معدّل","privacy":"تعرّف على كيفية معالجة بيانات تعليقك","empty":"كن أول من يعلّق.","error":"تعذّر الاتصال بخادم التعليقات. يرجى المحاولة مرة أخرى.","loading":"جارٍ تحميل التعليقات…","closed":"التعليقات مغلقة.","nothing":"لا شيء للمعاينة.","required":"يرجى كتابة تعليق أولاً.","notify":"أرسل لي بريداً عند وجود رد"}};
var STORE = "afterword.";
var uid = 0;
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
}
}
function editTokens() {
var all = load("edit") || {};
var now = Date.now();
for (var id in all) if (Date.parse(all[id].until) < now) delete all[id];
return all;
}
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
