// The demo chat page: connects to /chat (the HTTP session names the user), joins rooms,
// says things, and writes what happens into the page (tests read data-state, #log and
// #online). Joining a room brings its recent messages first, then who is online there.
(function () {
  const log = document.getElementById("log");
  const onlineList = document.getElementById("online");
  let online = [];
  let currentRoom = null;
  const showOnline = () => { onlineList.textContent = online.length ? online.join(", ") : "nobody"; };
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
  // Who arrives in the room and who leaves it (a user with several tabs, once).
  socket.on("presence", (m) => {
    if (m.room !== currentRoom) { return; }
    if (m.state === "join") {
      if (!online.includes(m.user)) { online.push(m.user); online.sort(); }
      write(m.user + " joined " + m.room);
    } else {
      online = online.filter((user) => user !== m.user);
      write(m.user + " left " + m.room);
    }
    showOnline();
  });
  // A room's history starts with this when older messages are gone.
  socket.on("history_gap", (m) => write("(messages " + m.from + " to " + m.to + " of " + m.room + " are gone)"));
  socket.on("said", (m) => write(m.user + ": " + m.text));
  socket.on("method_access_denied", (m) => write("denied: " + m.event));

  const chat = {
    join(room) {
      socket.emit("join", room, (answer) => {
        if (answer.ok) {
          currentRoom = answer.room;
          online = answer.online;
          showOnline();
          state("joined:" + answer.room);
        } else {
          write("join failed: " + answer.error);
        }
      });
    },
    say(text) {
      socket.emit("say", text, (answer) => {
        if (answer && answer.ok) { state("said:" + answer.seq); } else { write("say failed: " + JSON.stringify(answer)); }
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
