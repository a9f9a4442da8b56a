/* Presence: the open dashboard tab keeps its supervisor's chosen "online" alive with a heartbeat
   (the server lapses it to offline after PRESENCE_TIMEOUT_SECONDS without one), and the nav's
   status buttons switch status without leaving the page. Names only ever go through textContent. */
(function () {
  "use strict";
  var box = document.getElementById("presence");
  var form = document.getElementById("presence-form");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!box || !form || !meta) return;
  var BEAT_MS = 30000; // a third of the default 90 s timeout: two missed beats are still fine

  function show(data) {
    if (!data) return;
    form.querySelectorAll(".presence-btn").forEach(function (btn) {
      btn.setAttribute("aria-pressed", btn.value === data.status ? "true" : "false");
    });
    var names = data.online || [];
    var who = document.getElementById("presence-who");
    var count = document.getElementById("presence-count");
    if (count) count.textContent = String(names.length);
    if (who) {
      who.title = names.length ? names.join(", ") : "Nobody is online";
      who.dataset.any = names.length ? "true" : "false";
    }
    var list = document.getElementById("online-list");
    if (list) {
      while (list.firstChild) list.removeChild(list.firstChild);
      names.forEach(function (name) {
        var li = document.createElement("li");
        li.textContent = name;
        list.appendChild(li);
      });
      var none = document.getElementById("online-none");
      if (none) none.hidden = names.length > 0;
    }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": meta.content, "Accept": "application/json" }
    }).then(function (res) { return res.ok ? res.json() : null; }).catch(function () { return null; });
  }

  function beat() { post(box.dataset.heartbeatUrl).then(show); }

  form.addEventListener("submit", function (ev) {
    var btn = ev.submitter;
    if (!btn || !window.fetch || !window.FormData) return; // the plain form post still works
    ev.preventDefault();
    var data = new FormData(form);
    data.append("status", btn.value);
    post(form.action, data).then(function (res) {
      if (res) show(res); else form.submit();
    });
  });

  var who = document.getElementById("presence-who");
  if (who) who.dataset.any = document.getElementById("presence-count").textContent !== "0" ? "true" : "false";
  beat();
  window.setInterval(beat, BEAT_MS);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) beat(); });
})();
