// Small helpers for the dashboard (no framework, nothing fetched from elsewhere).
(function () {
  "use strict";
  // buttons and forms with data-confirm ask before submitting
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && el.tagName === "BUTTON" && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // "refresh every N s" checkboxes: remembered per page while the tab is open
  var box = document.getElementById("autorefresh");
  if (box) {
    var key = "autorefresh:" + location.pathname + location.search;
    box.checked = sessionStorage.getItem(key) === "1";
    var timer = null;
    var arm = function () {
      if (timer) { clearTimeout(timer); timer = null; }
      if (box.checked) {
        timer = setTimeout(function () { location.reload(); }, 1000 * Number(box.dataset.seconds || 5));
      }
    };
    box.addEventListener("change", function () {
      sessionStorage.setItem(key, box.checked ? "1" : "0");
      arm();
    });
    arm();
  }
})();
