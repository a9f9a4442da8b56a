/* Alerts that get noticed in an open dashboard tab. When a new help request (or a transfer offer)
   arrives while the tab is in the background (Page Visibility API), play a short chime and show a
   browser notification; the tab title always shows the pending count, e.g. "(3) Pending · Salon".
   Notification permission is asked for only when the supervisor presses "Turn on alerts", never on
   load. No caller data goes into a notification (it can show on a lock screen): only the request number. */
(function () {
  "use strict";
  var script = document.getElementById("alerts-script");
  if (!script) return;
  var button = document.getElementById("alerts-enable");
  var navCount = document.getElementById("nav-pending-count");
  var hasNotifications = "Notification" in window;
  var baseTitle = document.title;
  var seen = new Set();
  var audio = null;
  var stats = { sounds: 0, notifications: 0 };

  function setTitle() {
    var n = navCount ? parseInt(navCount.textContent, 10) || 0 : 0;
    document.title = (n > 0 ? "(" + n + ") " : "") + baseTitle;
  }

  function refreshButton() {
    if (!button) return;
    if (!hasNotifications || Notification.permission === "granted") { button.hidden = true; return; }
    button.hidden = false;
    if (Notification.permission === "denied") {
      button.textContent = "Alerts blocked in this browser";
      button.disabled = true;
      button.title = "Allow notifications for this site in the browser's settings to get alerts.";
    }
  }

  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    if (!audio) audio = new Ctx();
    if (audio.state === "suspended") audio.resume().catch(function () {});
    return audio;
  }

  function chime() {
    try {
      var ctx = unlockAudio();
      if (!ctx) return;
      [880, 1175].forEach(function (freq, i) {
        var t = ctx.currentTime + i * 0.18;
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, t);
        gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start(t);
        osc.stop(t + 0.32);
      });
      stats.sounds += 1;
    } catch (e) { /* no audio device: the notification and title still tell */ }
  }

  function notify(kind, id) {
    if (document.visibilityState !== "hidden") return;  // the supervisor is looking at the page already
    chime();
    if (!hasNotifications || Notification.permission !== "granted") return;
    var transfer = kind === "transfer";
    var title = transfer ? "A caller wants to talk to a person" : "New question from a caller";
    var options = {
      body: transfer ? "A transfer offer is waiting in Frontdesk." : "Request #" + id + " is waiting for your answer.",
      tag: "frontdesk-" + kind + "-" + id,
      icon: "/static/icons/icon-192.png"
    };
    try {
      var note = new Notification(title, options);
      note.onclick = function () {
        window.focus();
        if (!document.getElementById("queue")) window.location.assign(script.dataset.pendingUrl);
        note.close();
      };
    } catch (e) {
      // Chrome on Android only shows notifications through the service worker (which focuses the app on a tap).
      if (!navigator.serviceWorker) return;
      navigator.serviceWorker.ready.then(function (reg) { return reg.showNotification(title, options); })
        .catch(function () {});
    }
    stats.notifications += 1;
  }

  function kindOf(m) {
    // Live handoff offers arrive as {type: "transfer", action: "transfer_offered", transfer_id} (web/live.py).
    if (m.type === "transfer" && m.action === "transfer_offered") return "transfer";
    if (m.type === "help_request" && m.action === "created") return "request";
    return null;
  }

  function onMessages(messages) {
    var changed = false;
    (messages || []).forEach(function (m) {
      if (m.type === "help_request") changed = true;
      var kind = kindOf(m);
      if (!kind) return;
      var ref = kind === "transfer" ? m.transfer_id : m.id;
      var key = kind + ":" + (ref !== undefined && ref !== null ? ref : m.event_id);
      if (seen.has(key)) return;  // a reconnecting stream replays what it missed
      seen.add(key);
      notify(kind, ref !== undefined && ref !== null ? ref : "");
    });
    if (changed && !document.getElementById("queue")) refreshCount();
  }

  // Off the queue page nothing else keeps the nav's count fresh: ask the server for the total.
  function refreshCount() {
    fetch(script.dataset.cardsUrl + "?ids=", { credentials: "same-origin" }).then(function (res) {
      var total = res.headers.get("X-Pending-Total");
      if (total !== null && navCount) navCount.textContent = total;
    }).catch(function () {});
  }

  if (button) {
    button.addEventListener("click", function () {
      unlockAudio();  // a click is the gesture browsers want before sound may play
      if (!hasNotifications) return;
      var asked = Notification.requestPermission(refreshButton);
      if (asked && asked.then) asked.then(refreshButton);
    });
  }
  document.addEventListener("click", function once() {
    unlockAudio();
    document.removeEventListener("click", once);
  });
  if (navCount && window.MutationObserver) {
    new MutationObserver(setTitle).observe(navCount, { childList: true, characterData: true, subtree: true });
  }

  // The queue page already holds a live stream (pending.js) and passes its messages on; elsewhere, open one.
  document.addEventListener("frontdesk:update", function (ev) { onMessages(ev.detail && ev.detail.messages); });
  if (!document.getElementById("queue") && window.EventSource) {
    var source = new EventSource(script.dataset.eventsUrl);
    source.addEventListener("update", function (ev) {
      try { onMessages(JSON.parse(ev.data).messages); } catch (e) { /* malformed: ignore */ }
    });
  }
  setTitle();
  refreshButton();
  window.Frontdesk = window.Frontdesk || {};
  window.Frontdesk.alerts = stats;
})();
