/* Progressive enhancement only: every page works without this file.
   - the error summary takes focus when a page comes back with errors (GOV.UK pattern);
   - forms marked data-sifa-once disable their button after the first submit (the server also
     replays a repeated submit through its Idempotency-Key, so this is comfort, not safety);
   - upload forms (data-sifa-upload) send with XMLHttpRequest to show progress, then show the
     page the server answered with, as a normal submit would. */
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector("[data-sifa-error-summary]");
    if (summary) { summary.focus(); }
  }

  function disableOnSubmit(form) {
    form.addEventListener("submit", function () {
      var buttons = form.querySelectorAll("button[type=submit]");
      for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
    });
  }

  function showPage(xhr) {
    /* The answer is a whole page (after a redirect: the page redirected to). Its <main> replaces
       ours and the address follows, so a success message shown once is not lost. */
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var main = doc.getElementById("main");
    if (!main) { window.location.reload(); return; }
    document.title = doc.title;
    document.getElementById("main").innerHTML = main.innerHTML;
    if (xhr.responseURL && xhr.responseURL !== window.location.href.split("#")[0]) {
      window.history.pushState(null, "", xhr.responseURL);
    }
    enhance(document.getElementById("main"));
    focusErrorSummary();
  }

  function enhanceUpload(form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      event.preventDefault();
      var status = form.querySelector(".sifa-upload__progress");
      var button = form.querySelector("button[type=submit]");
      var bar = document.createElement("progress");
      bar.className = "sifa-progress";
      bar.max = 100;
      bar.value = 0;
      if (button) { button.disabled = true; button.parentNode.insertBefore(bar, button.nextSibling); }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var percent = Math.round((e.loaded / e.total) * 100);
        bar.value = percent;
        if (status) { status.textContent = "正在上传：" + percent + "%"; }
      });
      xhr.addEventListener("load", function () { showPage(xhr); });
      xhr.addEventListener("error", function () {
        if (status) { status.textContent = "上传失败，请检查网络后重试"; }
        if (button) { button.disabled = false; }
      });
      xhr.send(new FormData(form));
    });
  }

  function enhance(root) {
    var once = root.querySelectorAll("form[data-sifa-once]");
    for (var i = 0; i < once.length; i++) { disableOnSubmit(once[i]); }
    var uploads = root.querySelectorAll("form[data-sifa-upload]");
    for (var j = 0; j < uploads.length; j++) { enhanceUpload(uploads[j]); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    focusErrorSummary();
  });
})();
