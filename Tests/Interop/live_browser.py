"""The official Socket.IO JavaScript client in headless Chromium, behind the same interface
as live_checks.py's python-socketio `Live` client: live_checks.py runs every check with it
when CLIENT=browser. One page holds every client; Python reads their events from it."""
import asyncio
import json
import os
import time

from checklib import expect
from chromium import Chromium

CLIENT_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "Examples", "DemoApp", "static", "vendor", "socket.io.min.js")

# Clients by number, each recording every event (name and arguments) and its disconnect.
PAGE_HELPER = """
window.live = (() => {
  const clients = {};
  let next = 0;
  return {
    connect(url, auth) {
      return new Promise((resolve) => {
        const id = ++next;
        const socket = io(url, { transports: ["websocket"], auth, reconnection: false, forceNew: true });
        const client = { socket, events: [], disconnected: false };
        clients[id] = client;
        socket.onAny((event, ...args) => client.events.push([event, args]));
        socket.on("disconnect", () => { client.disconnected = true; });
        socket.on("connect", () => resolve({ id, sid: socket.id }));
        socket.on("connect_error", (error) => resolve({ id, error: { message: error.message } }));
      });
    },
    call(id, event, args) { return clients[id].socket.timeout(5000).emitWithAck(event, ...args); },
    state(id) { return { events: clients[id].events, disconnected: clients[id].disconnected }; },
    close(id) { clients[id].socket.disconnect(); },
  };
})();
true
"""


class BrowserLive:
    """A client of the official JavaScript client on one namespace, in the shared page."""

    page = None

    @classmethod
    def open_page(cls, chromium_binary):
        expect(os.path.exists(CLIENT_SCRIPT), f"{CLIENT_SCRIPT} is missing: scripts/setup-demo-assets installs it")
        cls.page = Chromium(chromium_binary)
        with open(CLIENT_SCRIPT) as script:
            cls.page.evaluate(script.read() + "\n;true")
        cls.page.evaluate(PAGE_HELPER)
        expect(cls.page.evaluate("typeof io === 'function' && typeof live === 'object'"), "the client did not load")

    @classmethod
    def close_page(cls):
        if cls.page is not None:
            cls.page.close()
            cls.page = None

    def __init__(self, number, sid):
        self.number = number
        self.sid = sid

    @classmethod
    def attempt(cls, port, namespace, auth):
        """Connects once: the page's answer, `{"id", "sid"}` or `{"id", "error"}`."""
        return cls.page.evaluate(f"live.connect({json.dumps(f'http://127.0.0.1:{port}{namespace}')}, {json.dumps(auth)})")

    @classmethod
    async def refusal(cls, port, namespace, auth):
        """What a refused connection says (`{"message": …}`)."""
        answer = cls.attempt(port, namespace, auth)
        expect("error" in answer, f"connected: {answer}")
        return answer["error"]

    def _state(self):
        return self.page.evaluate(f"live.state({self.number})")

    @property
    def events(self):
        return [(name, args) for name, args in self._state()["events"]]

    @property
    def disconnected(self):
        return self._state()["disconnected"]

    async def call(self, event, *args):
        return self.page.evaluate(f"live.call({self.number}, {json.dumps(event)}, {json.dumps(list(args))})")

    def named(self, event):
        return [args[0] if len(args) == 1 else args for name, args in self.events if name == event]

    async def wait_for(self, predicate, timeout=5.0):
        deadline = time.time() + timeout
        while not predicate():
            if time.time() > deadline:
                raise AssertionError(f"timed out; got {self.events[-6:]}")
            await asyncio.sleep(0.05)

    async def close(self):
        self.page.evaluate(f"live.close({self.number}); true")
