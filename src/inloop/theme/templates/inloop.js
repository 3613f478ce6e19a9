/* inloop: the reader's local time, "12 minutes ago", and a page that keeps itself current.
   Optional: every page reads completely without it.  Served as inloop.<hash>.js. */
(function () {
  "use strict";
  /* On the embed/ page in a frame: tell the page that framed it (the site's embed.js) the status.
     The message holds only what the page shows anyone, so any origin may have it. */
  var embedded = document.getElementById("inloop-status");
  if (embedded && window.parent !== window) {
    try {
      window.parent.postMessage(JSON.parse(embedded.getAttribute("data-message")), "*");
    } catch (error) {
      /* nothing to tell: embed.js shows nothing */
    }
  }
  var script = document.currentScript;
  if (!script || !window.Intl) return;
  var lang = document.documentElement.lang || undefined;
  var label = script.getAttribute("data-your-time") || "{time}";
  var ownZone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  var sameZone = ownZone === script.getAttribute("data-zone");
  function format(withYear) {
    return new Intl.DateTimeFormat(lang, {
      year: withYear ? "numeric" : undefined, month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"
    });
  }
  var clock = format(true), clockThisYear = format(false);
  var relative = Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, {numeric: "auto"}) : null;
  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

  function ago(moment) {
    if (!relative) return "";
    var seconds = (moment - Date.now()) / 1000;
    var size = Math.abs(seconds);
    for (var i = 0; i < UNITS.length; i++) {
      if (size >= UNITS[i][1]) {
        var count = Math.floor(size / UNITS[i][1]);
        return relative.format(seconds < 0 ? -count : count, UNITS[i][0]);
      }
    }
    return relative.format(0, "second");
  }

  /* A slot describes the <time>s of the element just before it; when that is a <time>
     itself, the <time>s beside it (a window's start and end). */
  function times(slot) {
    var owner = slot.previousElementSibling;
    if (!owner) return [];
    var found = owner.tagName === "TIME" ? slot.parentNode.children : owner.getElementsByTagName("time");
    var moments = [];
    for (var i = 0; i < found.length; i++) {
      var stamp = found[i].tagName === "TIME" && found[i].getAttribute("datetime") || "";
      var value = stamp.length > 10 && Date.parse(stamp);  /* a day alone is not a moment */
      if (value) moments.push(new Date(value));
    }
    return moments;
  }

  function fill() {
    var slots = document.querySelectorAll(".local");
    for (var i = 0; i < slots.length; i++) {
      var moments = times(slots[i]);
      if (!moments.length) continue;
      var first = moments[0], last = moments[moments.length - 1];
      var parts = [];
      if (!sameZone) {
        var thisYear = first.getFullYear() === new Date().getFullYear() && last.getFullYear() === first.getFullYear();
        var short = thisYear ? clockThisYear : clock;
        var shown = last > first && short.formatRange ? short.formatRange(first, last) : short.format(first);
        parts.push(label.replace("{time}", shown));
      }
      parts.push(ago(first));
      slots[i].textContent = parts.join(" · ");
    }
    if (!sameZone) {
      var all = document.getElementsByTagName("time");
      for (var j = 0; j < all.length; j++) {
        var stamp = all[j].getAttribute("datetime") || "";
        var moment = stamp.length > 10 && Date.parse(stamp);  /* a day alone has no clock to convert */
        if (moment) all[j].title = clock.format(new Date(moment));
      }
    }
    document.documentElement.setAttribute("data-local-times", "");
  }

  /* Reload when the site changed: live.json holds a version that changes with every
     incident, update or status, and not with the build time.  Never a meta refresh. */
  var live = new URL("live.json", script.src).href;
  var known = null;
  function poll() {
    fill();
    if (document.hidden || !window.fetch) return;
    fetch(live, {cache: "no-store"}).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data || !data.version) return;
      if (known === null) known = data.version;
      else if (data.version !== known) location.reload();
    }, function () { /* offline or a file:// page: try again later */ });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", poll);
  else poll();
  setInterval(poll, 60000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
}());
