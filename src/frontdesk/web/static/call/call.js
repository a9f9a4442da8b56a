// "Call the salon": a chat over the public text-call API. The transcript shown is the server's
// (GET /api/v1/calls/{id}, polled every POLL_MS), so a supervisor's answer said in-call appears by itself.
// While the call is on hold for a person (an offer is pending or a supervisor holds it: `on_hold`), the
// page also listens to /call/{id}/events and fetches the call on each `update`, so the supervisor's
// lines show at once; the poll goes on as the fallback (the stream may be refused when the server is busy).
// Caller and agent text is untrusted: it is only ever set with textContent.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const api = "/api/v1/calls";
  const POLL_MS = 1000, STREAM_RETRY_MS = 10000;
  let callId = null, shown = 0, timer = null, room = null;
  let busy = false, again = false, source = null, streamFailed = 0;

  function status(text, kind) {
    $("status").textContent = text || "";
    $("status").dataset.kind = kind || "";
  }

  // What a caller reads when something fails: plain sentences, never API field names.
  const PHONE_HELP = "Please enter a phone number we can text, like +1 415 555 0100.";
  function plain(err, fallback) {
    const msg = (err && err.message) || "";
    if (msg.indexOf("caller_phone") >= 0) return PHONE_HELP;
    if (err && err.status === 429) return "Too many calls from here just now. Please wait a minute and try again.";
    if (err && err.status === 404) return "This call has ended.";
    return fallback;
  }

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
      const err = new Error(data && data.error ? data.error.message : "HTTP " + res.status);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  function addLine(role, text) {
    const li = document.createElement("li");
    li.className = role === "caller" ? "caller" : role === "supervisor" ? "agent supervisor" : "agent";
    li.textContent = text;
    $("transcript").appendChild(li);
    li.scrollIntoView({ block: "nearest" });
    return li;
  }

  // One fetch at a time (the poll, a send and stream updates all ask): a request during a fetch
  // means one more fetch after it, so lines are never added twice.
  async function refresh() {
    if (!callId) return;
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        const id = callId;
        const call = await request("GET", api + "/" + encodeURIComponent(id));
        if (id !== callId) break;
        const lines = call.transcript || [];
        if (shown < lines.length) document.querySelectorAll("#transcript li.pending").forEach((li) => li.remove());
        for (; shown < lines.length; shown++) addLine(lines[shown].role, lines[shown].text);
        if (call.status !== "live") { ended("The call has ended."); break; }
        listen(Boolean(call.on_hold));
      } while (again && callId);
    } catch (e) { status("We lost the connection for a moment; trying again…", "error"); }
    finally { busy = false; }
  }

  // The live stream while on hold; closed when the call is back with the receptionist or over.
  function listen(onHold) {
    if (!onHold || !window.EventSource) { closeStream(); return; }
    if (source || Date.now() - streamFailed < STREAM_RETRY_MS) return;
    source = new EventSource("/call/" + encodeURIComponent(callId) + "/events");
    source.addEventListener("update", refresh);
    source.onerror = () => {
      // Refused (busy server, call over): the poll carries on; try the stream again later.
      if (source && source.readyState === EventSource.CLOSED) { source = null; streamFailed = Date.now(); }
    };
  }

  function closeStream() { if (source) { source.close(); source = null; } }

  function stopPolling() { closeStream(); if (timer) { clearInterval(timer); timer = null; } }

  // After a call: the message box goes away and the start form comes back for a new call.
  function ended(text) {
    stopPolling();
    callId = null;
    $("say").hidden = true;
    $("start").hidden = false;
    $("start-text").textContent = "Call again";
    status(text);
  }

  $("start").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!$("phone").value.trim()) { status(PHONE_HELP, "error"); $("phone").focus(); return; }
    status("Calling…");
    try {
      const call = await request("POST", api, { caller_phone: $("phone").value, caller_name: $("name").value || null });
      callId = call.id; shown = 0;
      $("transcript").textContent = "";
      $("start").hidden = true; $("say").hidden = false; $("text").focus();
      status("Connected.");
      await refresh();
      timer = setInterval(refresh, POLL_MS);
    } catch (e) { status(plain(e, "Sorry, we couldn't start the call. Please try again."), "error"); }
  });

  $("say").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("text").value.trim();
    if (!callId) return;
    if (!text) { status("Type a message first, then press Send.", "error"); $("text").focus(); return; }
    $("text").value = "";
    addLine("caller", text).classList.add("pending"); // shown at once; replaced by the server's transcript
    status("One moment…");
    try {
      await request("POST", api + "/" + encodeURIComponent(callId) + "/messages", { text });
      status("");
      await refresh();
    } catch (e) { status(plain(e, "Sorry, that message didn't go through. Please try again."), "error"); }
  });

  $("hangup").addEventListener("click", async () => {
    if (!callId) return;
    try { await request("POST", api + "/" + encodeURIComponent(callId) + "/end"); } catch (e) { /* already ended */ }
    await refresh();
    ended("You hung up.");
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
