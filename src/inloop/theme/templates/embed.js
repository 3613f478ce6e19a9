/* inloop status embed: <script src="https://status.example.com/embed.js" async></script>
   While an incident is open or maintenance is in progress, a small banner in the host page says so;
   otherwise nothing.  No globals, no framework; it reads the status through a hidden frame of the
   status site's embed/ page (which posts it here) and fails silently when that site is unreachable. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    var scripts = document.querySelectorAll("script[src*='embed.js']");
    script = scripts[scripts.length - 1];
  }
  if (!script || !script.src || !window.URL || !document.documentElement.attachShadow) return;
  var root = new URL(".", script.src).href;
  var origin = new URL(root).origin;
  var KEY = "inloop-embed:" + root;
  var CSS =
    ":host{all:initial;position:fixed;z-index:2147483000;right:1rem;bottom:1rem;display:block;" +
    "width:24rem;max-width:calc(100vw - 2rem)}" +
    ".b{--bg:#fff;--fg:#1b1f24;--line:#c4c9cf;--link:#0b57a4;--c:#b3261e;box-sizing:border-box;display:flex;" +
    "align-items:flex-start;gap:.5rem;margin:0;padding:.75rem .5rem .75rem 1rem;border:1px solid var(--line);" +
    "border-left:.375rem solid var(--c);border-radius:.5rem;background:var(--bg);color:var(--fg);" +
    "box-shadow:0 .25rem 1rem rgba(0,0,0,.2);font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;" +
    "text-align:start;overflow-wrap:anywhere}" +
    ".s-under_maintenance{--c:#1f5fa8}.s-degraded_performance{--c:#8a5300}.s-partial_outage{--c:#a8430d}" +
    ".s-operational{--c:#17703a}" +
    "p{flex:1;margin:0}strong{display:block;color:var(--c)}a{color:var(--link);font-weight:600}" +
    ".st{color:var(--fg)}" +
    "button{flex:none;margin:-.25rem 0;width:2rem;height:2rem;padding:0;border:0;border-radius:.25rem;" +
    "background:transparent;color:var(--fg);font:1.4rem/1 system-ui,sans-serif;cursor:pointer}" +
    "button:hover{background:var(--line)}" +
    "a:focus-visible,button:focus-visible{outline:3px solid var(--link);outline-offset:2px}" +
    "@media (prefers-color-scheme:dark){.b{--bg:#1c2025;--fg:#e8eaed;--line:#4a515a;--link:#8ab8f5;--c:#ff8a80;" +
    "box-shadow:0 .25rem 1rem rgba(0,0,0,.6)}" +
    ".s-under_maintenance{--c:#8ab8f5}.s-degraded_performance{--c:#f0b54a}.s-partial_outage{--c:#f59a62}" +
    ".s-operational{--c:#5fcf8a}}" +
    "@media print{:host{display:none}}";

  var host = document.createElement("inloop-status");
  var shadow = host.attachShadow({mode: "open"});
  var frame = document.createElement("iframe");
  var timer = 0;
  var done = false;

  function stored() {
    try {
      return window.sessionStorage.getItem(KEY);
    } catch (error) {
      return null;
    }
  }

  function store(value) {
    try {
      window.sessionStorage.setItem(KEY, value);
    } catch (error) {
      /* no storage: dismissed for this page view only */
    }
  }

  function text(value) {
    return typeof value === "string" && value.length > 0 && value.length <= 2000;
  }

  /* The message of embed/frame.js, or null for anything else. */
  function read(data) {
    if (!data || data.type !== "inloop-status" || data.version !== 1) return null;
    if (!text(data.status) || !/^[a-z_]+$/.test(data.status)) return null;
    if (!text(data.text) || !text(data.label) || !text(data.dismiss)) return null;
    var item = data.item;
    if (!item || !text(item.kind) || !text(item.id) || !text(item.title) || !text(item.path)) return null;
    var link = new URL(item.path, root);
    if (link.origin !== origin || link.href.indexOf(root) !== 0) return null;
    return {data: data, item: item, link: link.href, id: item.kind + "/" + item.id};
  }

  function element(name, className, content) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  function style() {
    if (shadow.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        shadow.adoptedStyleSheets = [sheet];
        return;
      } catch (error) {
        /* an older browser: a <style> element below */
      }
    }
    shadow.appendChild(element("style", "", CSS));
  }

  function show(found) {
    var data = found.data;
    var box = element("div", "b s-" + data.status);
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", data.label);
    if (text(data.lang)) box.setAttribute("lang", data.lang);
    var line = element("p");
    line.setAttribute("role", "status");
    line.appendChild(element("strong", "", data.text));
    var link = element("a", "", found.item.title);
    link.href = found.link;
    link.target = "_blank";
    link.rel = "noopener";
    line.appendChild(link);
    if (text(found.item.state)) {
      line.appendChild(document.createTextNode(" "));
      line.appendChild(element("span", "st", "(" + found.item.state + ")"));
    }
    var close = element("button", "", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", data.dismiss);
    close.title = data.dismiss;
    close.addEventListener("click", function () {
      store(found.id);
      host.remove();
    });
    box.appendChild(line);
    box.appendChild(close);
    shadow.appendChild(box);
  }

  function finish(found) {
    if (done) return;
    done = true;
    clearTimeout(timer);
    window.removeEventListener("message", receive);
    frame.remove();
    if (found && stored() !== found.id) {
      show(found);
    } else {
      host.remove();
    }
  }

  function receive(event) {
    if (event.source !== frame.contentWindow || event.origin !== origin) return;
    var found = null;
    try {
      found = read(event.data);
    } catch (error) {
      found = null;
    }
    finish(found);
  }

  function attach() {
    (document.body || document.documentElement).appendChild(host);
  }

  style();
  frame.hidden = true;
  frame.tabIndex = -1;
  frame.title = "status";
  frame.setAttribute("aria-hidden", "true");
  /* A fresh copy on every load: a cached one could show a resolved incident. */
  frame.src = root + "embed/?t=" + Date.now().toString(36);
  frame.addEventListener("load", function () {
    if (done) return;
    clearTimeout(timer);
    timer = setTimeout(finish, 3000);
  });
  window.addEventListener("message", receive);
  timer = setTimeout(finish, 20000);
  shadow.appendChild(frame);
  if (document.body) {
    attach();
  } else {
    document.addEventListener("DOMContentLoaded", attach);
  }
})();
