// The demo chat page: connects to /chat (the HTTP session names the user), joins rooms,
// says things, and writes what happens into the page (tests read data-state and #log).
(function () {
  const log = document.getElementById("log");
  const state = (value) => { document.body.dataset.state = value; };
  const write = (text) => {
    const item = document.createElement("li");
    item.textContent = text;
    log.appendChild(item);
  };
  if (typeof io !== "function") {
    state("no-client");
    write("The Socket.IO client is missing: run scripts/demo, which installs it.");
    return;
  }
  const socket = io("/chat");
  let connectedBefore = false;
  socket.on("connect", () => {
    // Connection state recovery: after a short loss of connection the server gives back the
    // same socket, its room, and the messages sent meanwhile (they follow this event).
    if (socket.recovered) { state("recovered"); write("reconnected (recovered)"); }
    else if (connectedBefore) { state("connected"); write("reconnected (a new session: join a room again)"); }
    else { state("connected"); write("connected"); }
    connectedBefore = true;
  });
  socket.on("disconnect", (reason) => { state("disconnected"); write("disconnected (" + reason + ")"); });
  socket.on("connect_error", (error) => { state("error"); write("connection failed: " + error.message); });
  socket.on("joined", (m) => write(m.user + " joined " + m.room));
  socket.on("left", (m) => write(m.user + " left " + m.room));
  socket.on("said", (m) => write(m.user + ": " + m.text));
  socket.on("method_access_denied", (m) => write("denied: " + m.event));

  const chat = {
    join(room) {
      socket.emit("join", room, (answer) => {
        if (answer.ok) { state("joined:" + answer.room); } else { write("join failed: " + answer.error); }
      });
    },
    say(text) {
      socket.emit("say", text, (answer) => {
        if (answer && answer.ok) { state("said:" + answer.delivered); } else { write("say failed: " + JSON.stringify(answer)); }
      });
    },
  };
  chat.socket = socket;
  window.chat = chat;
  document.getElementById("join-form").addEventListener("submit", (event) => {
    event.preventDefault();
    chat.join(document.getElementById("room").value);
  });
  document.getElementById("say-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("text");
    chat.say(input.value);
    input.value = "";
  });
})();
