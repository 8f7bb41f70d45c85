// Progressive enhancements only: every page reads and navigates the same without this file.
(function () {
  "use strict";
  var root = document.documentElement;

  // Opened straight from disk (file://), a link to "chapters/x/" shows a folder listing;
  // point such links at the folder's index.html instead.
  if (location.protocol === "file:") {
    document.querySelectorAll("a[href]").forEach(function (link) {
      var href = link.getAttribute("href");
      if (/^[a-z]+:/i.test(href) || href.charAt(0) === "#") return;
      var parts = href.split("#");
      if (parts[0] === "" || parts[0].slice(-1) === "/" || parts[0] === ".") {
        parts[0] = (parts[0] === "." ? "./" : parts[0]) + "index.html";
        link.setAttribute("href", parts.join("#"));
      }
    });
  }

  // Light/dark: the system decides unless the reader chose otherwise here (a choice made
  // before is applied by a line in the page's head, before the first paint).
  var slot = document.querySelector("[data-theme-toggle]");
  if (slot) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "theme-toggle";
    var isDark = function () {
      var chosen = root.getAttribute("data-theme");
      if (chosen) return chosen === "dark";
      return window.matchMedia("(prefers-color-scheme: dark)").matches;
    };
    var label = function () {
      button.textContent = isDark() ? "Light" : "Dark";
      button.setAttribute("aria-label", isDark() ? "Switch to light theme" : "Switch to dark theme");
    };
    button.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("sitegen-theme", next); } catch (e) { /* storage blocked */ }
      label();
    });
    label();
    // The system may change while the page is open (dark mode at sunset).
    var system = window.matchMedia("(prefers-color-scheme: dark)");
    if (system.addEventListener) system.addEventListener("change", label);
    else if (system.addListener) system.addListener(label); // Safari before 14
    slot.appendChild(button);
  }

  // Reading progress along the top edge of a chapter.
  var prose = document.querySelector(".prose");
  if (prose) {
    var bar = document.createElement("div");
    bar.className = "progress";
    bar.setAttribute("aria-hidden", "true");
    document.body.appendChild(bar);
    var update = function () {
      var box = prose.getBoundingClientRect();
      var total = box.height - window.innerHeight;
      var done = total > 0 ? Math.min(1, Math.max(0, -box.top / total)) : 1;
      bar.style.width = (done * 100).toFixed(2) + "%";
    };
    document.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    update();
  }
})();
