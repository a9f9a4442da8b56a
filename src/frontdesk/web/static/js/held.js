/* The held call's chat view: the conversation refreshed every ~0.7 s, the supervisor's replies, hand
   back, end, take over; for a voice call, joining the caller's LiveKit room with the microphone
   (token from the accept answer). All text goes through textContent. */
(function () {
  "use strict";
  var root = document.getElementById("held");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!root || !meta || !window.fetch) return;
  var chat = document.getElementById("chat");
  var form = document.getElementById("say-form");
  var msg = document.getElementById("held-msg");
  var statusEl = document.getElementById("held-status");
  var ended = false;

  function post(url, body) {
    var headers = { "X-CSRFToken": meta.content, "Accept": "application/json" };
    if (body) headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", credentials: "same-origin", headers: headers,
                        body: body ? JSON.stringify(body) : undefined })
      .then(function (res) { return res.json().then(function (data) { return { ok: res.ok, data: data }; }); });
  }

  function show(id, on) { var el = document.getElementById(id); if (el) el.hidden = !on; }

  function render(data) {
    var lines = data.transcript || [];
    for (var i = chat.children.length; i < lines.length; i++) {
      var li = document.createElement("li");
      li.className = "line line-" + lines[i].role;
      var role = document.createElement("span"); role.className = "role"; role.textContent = lines[i].role;
      var said = document.createElement("span"); said.className = "said"; said.textContent = lines[i].text;
      li.appendChild(role); li.appendChild(document.createTextNode(" ")); li.appendChild(said);
      chat.appendChild(li);
      li.scrollIntoView({ block: "nearest" });
    }
    ended = data.status !== "live";
    var mine = !!data.mine && !ended;
    statusEl.textContent = ended ? "ended" : mine ? "you hold this call: the receptionist is silent"
      : data.held_by ? "held by " + data.held_by : "with the receptionist";
    form.hidden = !mine;
    show("release-btn", mine); show("end-btn", mine);
    show("takeover-btn", !ended && !data.held_by);
  }

  function refresh() {
    fetch(root.dataset.linesUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (data) { if (data) render(data); })
      .catch(function () {})
      .then(function () { if (!ended) window.setTimeout(refresh, 700); });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var box = document.getElementById("say-text");
    var text = box.value.trim();
    if (!text) return;
    post(root.dataset.sayUrl, { text: text }).then(function (r) {
      if (r.ok) { box.value = ""; refresh(); } else msg.textContent = (r.data.error && r.data.error.message) || "Not sent.";
    });
  });

  function action(id, url, done) {
    var btn = document.getElementById(id);
    if (btn) btn.addEventListener("click", function () {
      post(url).then(function (r) {
        msg.textContent = r.ok ? done : ((r.data.error && r.data.error.message) || "That did not work.");
        refresh();
      });
    });
  }
  action("release-btn", root.dataset.releaseUrl, "Handed back to the receptionist.");
  action("end-btn", root.dataset.endUrl, "Call ended.");
  action("takeover-btn", root.dataset.takeoverUrl, "You hold this call now.");

  // Voice: join the caller's room with the token the accept returned (kept for this tab only).
  var stored = null;
  try { stored = JSON.parse(window.sessionStorage.getItem("fd-voice-" + root.dataset.callId) || "null"); } catch (e) {}
  if (root.dataset.transport === "voice" && stored && stored.token && window.LivekitClient) {
    show("voice-box", true);
    var room = new window.LivekitClient.Room();
    var vs = document.getElementById("voice-status");
    room.on(window.LivekitClient.RoomEvent.TrackSubscribed, function (track) {
      if (track.kind === "audio") document.body.appendChild(track.attach());
    });
    room.connect(stored.livekit_url, stored.token).then(function () {
      return room.localParticipant.setMicrophoneEnabled(true);
    }).then(function () {
      vs.textContent = "You are on the call (microphone on).";
      show("voice-leave", true);
    }).catch(function (e) { vs.textContent = "Could not join the voice call: " + e; });
    document.getElementById("voice-leave").addEventListener("click", function () {
      room.disconnect(); vs.textContent = "You left the voice call.";
    });
  }
  refresh();
})();
