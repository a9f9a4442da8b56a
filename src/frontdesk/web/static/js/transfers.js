/* Live handoff offers: the card appears live (server-sent events from /events, type "transfer") on
   every dashboard page of an online supervisor; Accept takes the call (the first accept wins) and
   opens the held call's chat; Decline drops it for this supervisor. The cards are rendered by the
   server (escaped); caller text never goes through innerHTML here. */
(function () {
  "use strict";
  var box = document.getElementById("offers");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!box || !meta || !window.fetch) return;
  // One fetch at a time. A new offer announced by the stream fetches just its card (`?ids=`); a
  // transfer that is no longer offered leaves at once, with no fetch; a full load on start, on a
  // resync and every 10 s as a safety net (it also drops cards whose removal was missed).
  // Fetches start at most every GAP_MS: when many calls are offered at once, each page then asks for
  // several new cards per fetch instead of one request per offer (every request costs the server).
  var GAP_MS = 150;
  var loading = false, wantAll = false, wanted = {}, gone = {}, lastStart = 0, waiting = null;

  function load(all) {
    if (all) wantAll = true;
    if (loading || waiting) return;
    var ids = Object.keys(wanted);
    if (!wantAll && !ids.length) return;
    var wait = lastStart + GAP_MS - Date.now();
    if (wait > 0) { waiting = window.setTimeout(function () { waiting = null; load(false); }, wait); return; }
    var full = wantAll;
    wantAll = false; wanted = {};
    loading = true; lastStart = Date.now();
    var url = box.dataset.url + (full ? "" : "?ids=" + ids.join(","));
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var tpl = document.createElement("template");
        tpl.innerHTML = html; // server-rendered and escaped by Jinja
        var fresh = {};
        tpl.content.querySelectorAll(".offer-card").forEach(function (card) {
          if (!gone[card.dataset.id]) fresh[card.id] = card; // taken while this fetch was under way
        });
        box.querySelectorAll(".offer-card").forEach(function (card) {
          if (fresh[card.id]) delete fresh[card.id]; // already shown: keep it (and its clock) as it is
          else if (full) card.remove();              // taken, expired, cancelled or declined: gone
        });
        Object.keys(fresh).forEach(function (id) { box.appendChild(fresh[id]); });
        count();
      })
      .catch(function () {})
      .then(function () {
        loading = false;
        load(false);
      });
  }

  function count() {
    box.dataset.count = String(box.querySelectorAll(".offer-card").length);
    if (window.Frontdesk) window.Frontdesk.tick();
  }

  function drop(id) {
    gone[id] = true;
    delete wanted[id];
    var card = document.getElementById("offer-" + id);
    if (card) { card.remove(); count(); }
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
      window.setTimeout(function () { gone[card.dataset.id] = true; card.remove(); count(); load(true); }, r.ok ? 0 : 1500);
    }).catch(function () {
      if (status) status.textContent = "Could not reach the server.";
      card.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });

  // Actions after which a transfer is no longer offered (`transfer_declined_by` is one supervisor's
  // decline: their own page dropped the card already).
  var OVER = { transfer_taken: 1, transfer_declined: 1, transfer_expired: 1, transfer_cancelled: 1,
               transfer_failed: 1, transfer_ended: 1 };

  function onData(data) {
    var all = false, some = false;
    (data.messages || []).forEach(function (m) {
      if (m.type === "resync") { all = true; return; }
      if (m.type !== "transfer") return;
      var id = String(m.transfer_id);
      if (m.action === "transfer_offered") {
        if (!document.getElementById("offer-" + id) && !gone[id]) { wanted[id] = true; some = true; }
      } else if (OVER[m.action]) {
        drop(id);
      }
    });
    if (all || some) load(all);
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
  load(true);
  window.setInterval(function () { load(true); }, 10000); // a safety net; offers arrive through the event stream
})();
