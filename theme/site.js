// Progressive enhancements only: every page reads and navigates the same without this file.
(function () {
  "use strict";
  var root = document.documentElement;

  // Opened straight from disk (file://), a link to "chapters/x/" shows a folder listing;
  // point such links at the folder's index.html instead.
  if (location.protocol === "file:") {
    var onDisk = function (href) {
      if (/^[a-z]+:/i.test(href) || href.charAt(0) === "#") return href;
      var parts = href.split("#");
      if (parts[0] === "" || parts[0].slice(-1) === "/" || parts[0] === ".") {
        parts[0] = (parts[0] === "." ? "./" : parts[0]) + "index.html";
      }
      return parts.join("#");
    };
    document.querySelectorAll("a[href]").forEach(function (link) {
      link.setAttribute("href", onDisk(link.getAttribute("href")));
    });
    // A moved story's old address leads on by a refresh, which a browser follows only once
    // the page has loaded: this goes first, to the folder's index.html.
    var refresh = document.querySelector('meta[http-equiv="refresh"]');
    var target = refresh && /url=(.+)$/i.exec(refresh.getAttribute("content"));
    if (target) location.replace(onDisk(target[1]));
  }

  // Light/dark: the system decides unless the reader chose otherwise here. A choice made
  // before is applied by a line in the page's head, before the first paint, and again here
  // where that line may not run (a site served with a policy against inline scripts).
  var KEY = "sitegen-theme";
  var system = window.matchMedia("(prefers-color-scheme: dark)");
  var apply = function (chosen) {
    if (chosen === "light" || chosen === "dark") root.setAttribute("data-theme", chosen);
    else root.removeAttribute("data-theme");
  };
  var stored = function () {
    try { return localStorage.getItem(KEY); } catch (e) { return null; } // storage blocked
  };
  if (!root.getAttribute("data-theme")) apply(stored());
  var slot = document.querySelector("[data-theme-toggle]");
  if (slot) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "theme-toggle";
    var isDark = function () {
      var chosen = root.getAttribute("data-theme");
      if (chosen) return chosen === "dark";
      return system.matches;
    };
    var label = function () {
      button.textContent = isDark() ? "Light" : "Dark";
      button.setAttribute("aria-label", isDark() ? "Switch to light theme" : "Switch to dark theme");
    };
    button.addEventListener("click", function () {
      // Choosing what the system shows anyway goes back to following the system.
      var next = isDark() ? "light" : "dark";
      var follow = (next === "dark") === system.matches;
      apply(follow ? null : next);
      try {
        if (follow) localStorage.removeItem(KEY);
        else localStorage.setItem(KEY, next);
      } catch (e) { /* storage blocked: this page still changes */ }
      label();
    });
    label();
    // The system may change while the page is open (dark mode at sunset), and a choice made
    // in another tab applies here too.
    if (system.addEventListener) system.addEventListener("change", label);
    else if (system.addListener) system.addListener(label); // Safari before 14
    window.addEventListener("storage", function (event) {
      if (event.key !== KEY && event.key !== null) return;
      apply(stored());
      label();
    });
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
