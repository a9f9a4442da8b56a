// "Call the salon": a chat over the public text-call API. The transcript shown is the server's
// (GET /api/v1/calls/{id}, polled), so a supervisor's answer said in-call appears by itself.
// Caller and agent text is untrusted: it is only ever set with textContent.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const api = "/api/v1/calls";
  let callId = null, shown = 0, timer = null, room = null;

  function status(text) { $("status").textContent = text || ""; }

  async function request(method, url, body) {
    const opts = { method, headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(url, opts);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      const msg = data && data.error ? data.error.message : "HTTP " + res.status;
      throw new Error(msg);
    }
    return data;
  }

  function addLine(role, text) {
    const li = document.createElement("li");
    li.className = role === "caller" ? "caller" : role === "supervisor" ? "agent supervisor" : "agent";
    li.textContent = text;
    $("transcript").appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }

  async function refresh() {
    if (!callId) return;
    try {
      const call = await request("GET", api + "/" + encodeURIComponent(callId));
      const lines = call.transcript || [];
      for (; shown < lines.length; shown++) addLine(lines[shown].role, lines[shown].text);
      if (call.status !== "live") { stopPolling(); status("The call has ended."); $("say").hidden = true; }
    } catch (e) { status("Connection problem: " + e.message); }
  }

  function stopPolling() { if (timer) { clearInterval(timer); timer = null; } }

  $("start").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status("Calling…");
    try {
      const call = await request("POST", api, { caller_phone: $("phone").value, caller_name: $("name").value || null });
      callId = call.id; shown = 0;
      $("transcript").textContent = "";
      $("start").hidden = true; $("say").hidden = false; $("text").focus();
      status("Connected.");
      await refresh();
      timer = setInterval(refresh, 1000);
    } catch (e) { status("Could not start the call: " + e.message); }
  });

  $("say").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("text").value.trim();
    if (!text || !callId) return;
    $("text").value = "";
    try {
      await request("POST", api + "/" + encodeURIComponent(callId) + "/messages", { text });
      await refresh();
    } catch (e) { status("Not sent: " + e.message); }
  });

  $("hangup").addEventListener("click", async () => {
    if (!callId) return;
    try { await request("POST", api + "/" + encodeURIComponent(callId) + "/end"); } catch (e) { /* already ended */ }
    await refresh();
    stopPolling(); $("say").hidden = true; status("You hung up.");
  });

  // Closing the tab hangs up, so a late answer is texted instead of said to nobody.
  window.addEventListener("pagehide", () => {
    if (callId && timer) navigator.sendBeacon(api + "/" + encodeURIComponent(callId) + "/end");
  });

  const voice = $("start-voice");
  if (voice && window.LivekitClient) {
    voice.addEventListener("click", async () => {
      status("Connecting the voice call…");
      try {
        const t = await request("POST", api + "/voice-token", { caller_phone: $("phone").value || null, caller_name: $("name").value || null });
        const LK = window.LivekitClient;
        room = new LK.Room({ adaptiveStream: true, dynacast: true });
        room.on(LK.RoomEvent.TrackSubscribed, (track) => {
          if (track.kind === LK.Track.Kind.Audio) document.body.appendChild(track.attach());
        });
        room.registerTextStreamHandler("lk.transcription", async (reader, who) => {
          const text = await reader.readAll();
          if (text) addLine(who.identity === room.localParticipant.identity ? "caller" : "agent", text);
        });
        room.on(LK.RoomEvent.Disconnected, () => status("The voice call has ended."));
        await room.connect(t.url, t.token);
        await room.startAudio();
        await room.localParticipant.setMicrophoneEnabled(true);
        $("start").hidden = true;
        status("On a voice call. Speak when you're ready.");
      } catch (e) { status("Could not start the voice call: " + e.message); }
    });
  }
})();
