/* The receipt's print button (窗口受理回执). Without JavaScript the button stays hidden and the page
   says to use the browser's own print command; the print stylesheet is in workbench.css. */
(function () {
  "use strict";
  document.querySelectorAll("[data-wb-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
