// Dark mode: follows the system until the reader picks; the choice is remembered.
(function () {
  var root = document.documentElement;
  try {
    var saved = localStorage.getItem("newsstand-theme");
    if (saved === "dark" || saved === "light") root.dataset.theme = saved;
  } catch (e) { /* storage may be blocked */ }
  function current() {
    if (root.dataset.theme) return root.dataset.theme;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      try { localStorage.setItem("newsstand-theme", next); } catch (e) { /* ignore */ }
    });
  });
})();
