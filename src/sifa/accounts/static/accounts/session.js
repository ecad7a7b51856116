/* The idle warning (issue 15): progressive enhancement only. The session ends on the server after
   SIFA_SESSION_IDLE_SECONDS without a request whether or not this runs; this script shows the
   warning shortly before (继续 renews the session, 退出 signs out) and, when the time is up, opens
   the sign-in page that says why. */
(function () {
  "use strict";
  var dialog = document.getElementById("sifa-idle");
  if (!dialog || typeof dialog.showModal !== "function" || !window.fetch) { return; }
  var idle = parseInt(dialog.getAttribute("data-idle-seconds"), 10);
  var lead = parseInt(dialog.getAttribute("data-warn-seconds"), 10);
  if (!(idle > 0) || !(lead > 0)) { return; }
  var countdown = dialog.querySelector("[data-idle-countdown]");
  var deadline = 0, warnTimer = null, tick = null;

  function words(seconds) {
    return seconds >= 60 ? Math.ceil(seconds / 60) + "分钟" : seconds + "秒";
  }

  function timedOut() {
    var here = window.location.pathname + window.location.search;
    window.location.href = dialog.getAttribute("data-timeout-url") + "&next=" + encodeURIComponent(here);
  }

  function update() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    countdown.textContent = words(left);
    if (left <= 0) { window.clearInterval(tick); timedOut(); }
  }

  function warn() {
    if (!dialog.open) { dialog.showModal(); }
    update();
    tick = window.setInterval(update, 1000);
  }

  function start() {
    window.clearTimeout(warnTimer);
    window.clearInterval(tick);
    deadline = Date.now() + idle * 1000;
    warnTimer = window.setTimeout(warn, Math.max(0, idle - lead) * 1000);
  }

  function keepGoing() {
    window.fetch(dialog.getAttribute("data-keep-alive"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 204) {
          if (dialog.open) { dialog.close(); }
          start();
        } else {
          timedOut();
        }
      }, function () { /* offline: leave the warning up, the button can be pressed again */ });
  }

  dialog.querySelector("[data-idle-continue]").addEventListener("click", keepGoing);
  dialog.addEventListener("cancel", function (event) { event.preventDefault(); keepGoing(); });
  start();
})();
