/* Live handoff offers: the card appears live (server-sent events from /events, type "transfer") on
   every dashboard page of an online supervisor; Accept takes the call (the first accept wins) and
   opens the held call's chat; Decline drops it for this supervisor. The cards are rendered by the
   server (escaped); caller text never goes through innerHTML here. */
(function () {
  "use strict";
  var box = document.getElementById("offers");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!box || !meta || !window.fetch) return;
  var loading = false, again = false;

  function load() {
    if (loading) { again = true; return; }
    loading = true;
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var tpl = document.createElement("template");
        tpl.innerHTML = html; // server-rendered and escaped by Jinja
        var fresh = {};
        tpl.content.querySelectorAll(".offer-card").forEach(function (card) { fresh[card.id] = card; });
        box.querySelectorAll(".offer-card").forEach(function (card) {
          if (!fresh[card.id]) card.remove(); // taken, expired, cancelled or declined: gone live
          else delete fresh[card.id];         // already shown: keep it (and its clock) as it is
        });
        Object.keys(fresh).forEach(function (id) { box.appendChild(fresh[id]); });
        box.dataset.count = String(box.querySelectorAll(".offer-card").length);
        if (window.Frontdesk) window.Frontdesk.tick();
      })
      .catch(function () {})
      .then(function () {
        loading = false;
        if (again) { again = false; load(); }
      });
  }

  function post(url) {
    return fetch(url, { method: "POST", credentials: "same-origin",
                        headers: { "X-CSRFToken": meta.content, "Accept": "application/json" } })
      .then(function (res) { return res.json().then(function (data) { return { ok: res.ok, data: data }; }); });
  }

  box.addEventListener("click", function (ev) {
    var btn = ev.target.closest(".js-accept, .js-decline");
    if (!btn) return;
    var card = btn.closest(".offer-card");
    var status = card.querySelector(".card-status");
    card.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    post(btn.dataset.url).then(function (r) {
      if (btn.classList.contains("js-accept") && r.ok) {
        if (r.data.token) {
          try { window.sessionStorage.setItem("fd-voice-" + r.data.call_id, JSON.stringify(r.data)); } catch (e) {}
        }
        window.location.href = r.data.url;
        return;
      }
      if (!r.ok && status) status.textContent = (r.data.error && r.data.error.message) || "Someone else took it.";
      window.setTimeout(function () { card.remove(); load(); }, r.ok ? 0 : 1500);
    }).catch(function () {
      if (status) status.textContent = "Could not reach the server.";
      card.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });

  function onData(data) {
    if ((data.messages || []).some(function (m) { return m.type === "transfer" || m.type === "resync"; })) load();
  }
  if (document.querySelector('script[src*="js/pending.js"]')) {
    // The queue page already streams /events: share it (each stream holds a server thread).
    document.addEventListener("fd:update", function (ev) { onData(ev.detail || {}); });
  } else if (window.EventSource) {
    var source = new EventSource(box.dataset.eventsUrl);
    source.addEventListener("update", function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      onData(data);
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }
  load();
  window.setInterval(load, 10000); // a safety net; offers arrive through the event stream
})();
