/* The page's own refresh (live data) instead of <meta http-equiv="refresh">: <meta name="ems-refresh"
   content="<seconds>"> reloads the page after that many seconds, but not while the operator is working on it: while
   a form field has the focus or holds an edit not sent, or the tab is hidden, it waits another period.
   window.emsRefreshOff = true (set before the page's scripts, e.g. by a test's init script) turns it off. */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="ems-refresh"]');
  var seconds = meta ? Number(meta.getAttribute("content")) : 0;
  if (!(seconds > 0)) { return; }
  var edited = false;

  function busy() {
    var active = document.activeElement;
    var typing = active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
    return edited || typing || document.hidden;
  }

  function tick() {
    if (window.emsRefreshOff) { return; }
    if (busy()) { window.setTimeout(tick, seconds * 1000); return; }
    window.location.reload();
  }

  document.addEventListener("input", function (event) {
    if (event.target && event.target.form) { edited = true; }
  });
  document.addEventListener("submit", function () { edited = false; });
  window.setTimeout(tick, seconds * 1000);
})();
