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
      var done = function () { $("copied").textContent = copy.getAttribute("data-copied"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(done, function () { area.select(); document.execCommand("copy"); done(); });
      } else {
        area.select(); document.execCommand("copy"); done();
      }
    });
  }

  // The live progress: the server sends it in the page's language, the
  // wiki's pause with its countdown each second.
  var live = $("live");
  if (!live) { return; }
  function show(p) {
    var pct = p.total ? Math.round(100 * p.done / p.total) : 100;
    $("bar-fill").style.inlineSize = pct + "%";
    $("bar").setAttribute("aria-valuenow", String(pct));
    $("status").textContent = p.text;
    var pause = $("pause");
    pause.textContent = p.pause_text || "";
    pause.hidden = !p.pause_text;
    return p;
  }
  var first = show(JSON.parse(live.getAttribute("data-progress")));
  if (first.phase === "done") { return; }
  var es = new EventSource("/events");
  es.onmessage = function (ev) { show(JSON.parse(ev.data)); };
  es.addEventListener("end", function () { es.close(); location.reload(); });
})();
