/* Dashboard behaviour shared by every page. Plain JS; caller text only ever goes through textContent
   or form values, never innerHTML. */
(function () {
  "use strict";

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 48) return minutes ? hours + " h " + minutes + " min" : hours + " h";
    return Math.floor(hours / 24) + " days";
  }

  // Waiting times count up and deadlines count down from the server's figures at render time, so
  // the page never depends on the browser's clock agreeing with the server's.
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".js-clock").forEach(function (el) {
      if (!el.dataset.t0) el.dataset.t0 = String(now);
      var elapsed = (now - Number(el.dataset.t0)) / 1000;
      var base = Number(el.dataset.seconds) || 0;
      if (el.dataset.mode === "down") {
        var left = base - elapsed;
        el.textContent = left > 0 ? duration(left) : "expired";
        el.classList.toggle("urgent", left < 120);
      } else {
        el.textContent = duration(base + elapsed);
      }
    });
  }

  function flash(message, kind) {
    var box = document.getElementById("flashes");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "flash flash-" + (kind || "info");
    p.textContent = message;
    box.appendChild(p);
    while (box.children.length > 4) box.removeChild(box.firstElementChild);
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest(".js-suggest");
    if (!btn) return;
    var box = document.getElementById(btn.dataset.target);
    if (box) {
      box.value = btn.dataset.answer || "";
      box.focus();
    }
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.classList.contains("close-form") && !form.classList.contains("js-close")) {
      if (!window.confirm("Close this request without an answer? The caller will be told.")) ev.preventDefault();
    }
  });

  // Phones: the nav is collapsed behind a "Menu" button (CSS shows it at narrow widths only).
  var toggle = document.querySelector(".nav-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.closest(".topbar").classList.toggle("nav-open", open);
    });
  }

  // Installable web app: the worker caches the shell only (see /sw.js). Registered from this file,
  // never from inline script (strict CSP).
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    });
  }

  window.Frontdesk = { duration: duration, flash: flash, tick: tick };
  tick();
  window.setInterval(tick, 1000);
})();
