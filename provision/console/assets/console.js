// The console's page: live progress from the server's events, a sheet
// dropped on the page, the wikitext copied. Everything else is plain HTML
// forms, which work without it.
"use strict";
(function () {
  function $(id) { return document.getElementById(id); }

  // Dropping a file on the sheet's field chooses it and sends it.
  var drop = $("drop"), input = $("sheetfile");
  if (drop && input) {
    ["dragenter", "dragover"].forEach(function (e) {
      drop.addEventListener(e, function (ev) { ev.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (e) {
      drop.addEventListener(e, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (ev) {
      ev.preventDefault();
      if (ev.dataTransfer && ev.dataTransfer.files.length) {
        input.files = ev.dataTransfer.files;
        $("upload").submit();
      }
    });
  }

  var copy = $("copy");
  if (copy) {
    copy.addEventListener("click", function () {
      var area = $(copy.getAttribute("data-copy"));
      var done = function () { $("copied").textContent = "Copied."; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(done, function () { area.select(); document.execCommand("copy"); done(); });
      } else {
        area.select(); document.execCommand("copy"); done();
      }
    });
  }

  var live = $("live");
  if (!live) { return; }
  function duration(s) {
    s = Math.max(0, Math.round(s));
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
    return (h ? h + " h " : "") + (h || m ? m + " min " : "") + r + " s";
  }
  var pauseUntil = null, state = null;
  function show(p) {
    state = p;
    var c = p.counts || {};
    var bar = $("bar"), fill = $("bar-fill");
    var pct = p.total ? Math.round(100 * p.done / p.total) : 100;
    fill.style.inlineSize = pct + "%";
    bar.setAttribute("aria-valuenow", String(pct));
    var parts = [];
    ["created", "would-create", "exists", "invalid", "duplicate", "needs-manual", "failed"].forEach(function (k) {
      if (c[k]) { parts.push(c[k] + " " + k); }
    });
    var words = p.done + " of " + p.total + " rows decided" + (parts.length ? " (" + parts.join(", ") + ")" : "") +
      ", " + p.pending + " pending";
    if (p.phase === "stopping") { words += " — stopping: the requests under way finish"; }
    if (p.eta) { words += " — about " + duration(p.eta) + " to go"; }
    $("status").textContent = words;
    pauseUntil = p.pause_until ? new Date(p.pause_until) : null;
    tick();
  }
  function tick() {
    var el = $("pause");
    if (!pauseUntil || !state) { el.hidden = true; return; }
    var left = (pauseUntil - new Date()) / 1000;
    if (left <= 0) { el.hidden = true; return; }
    var why = state.window ? "The wiki allows " + state.limit + " new accounts per " + duration(state.window) +
      " from this address; every worker waits" : "The wiki asked to wait (" + state.pause_why + ")";
    el.textContent = why + ": " + duration(left) + " left.";
    el.hidden = false;
  }
  setInterval(tick, 1000);
  show(JSON.parse(live.getAttribute("data-progress")));
  if (state && state.phase === "done") { return; }
  var es = new EventSource("/events");
  es.onmessage = function (ev) { show(JSON.parse(ev.data)); };
  es.addEventListener("end", function () { es.close(); location.reload(); });
})();
