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

// A picture that cannot be loaded (its host gone, or refusing us): a card shows its
// lettered tile, an entry page drops the picture (keeping its alt text). Inline handlers
// are not allowed by the page's CSP, so one listener catches every image's error, and a
// sweep catches those that failed before this script ran.
(function () {
  function fallback(img) {
    if (img.dataset.failed) return;
    img.dataset.failed = "1";
    var thumb = img.closest(".thumb");
    if (thumb) {
      var tile = document.createElement("span");
      tile.className = "initial";
      tile.textContent = img.dataset.initial || "";
      img.replaceWith(tile);
      return;
    }
    var hero = img.closest(".hero");
    if (hero) {
      hero.remove();
      return;
    }
    var alt = img.getAttribute("alt");
    if (alt) {
      var text = document.createElement("span");
      text.className = "missing";
      text.textContent = alt;
      img.replaceWith(text);
    } else {
      img.remove();
    }
  }
  document.addEventListener("error", function (event) {
    var target = event.target;
    if (target && target.tagName === "IMG") fallback(target);
  }, true);
  function sweep() {
    var images = document.querySelectorAll("img");
    for (var i = 0; i < images.length; i++) {
      var img = images[i];
      if (img.complete && img.naturalWidth === 0 && img.getAttribute("src")) fallback(img);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", sweep);
  else sweep();
})();
