"""Browser test of the chat demo: headless Chromium (driven through its remote-debugging
protocol, waiting in real time) logs in, joins a room and says something; a python-socketio
client in the same room receives it. Then the browser's connection is cut, the Python
client says two things meanwhile, and the official client recovers its session
(`socket.recovered`) with both messages, in order.
Over https (a demo serving TLS), only the browser's own check runs: Chromium is told to
accept the test certificate.
Usage: python browser_chat_check.py http(s)://127.0.0.1:PORT /usr/bin/chromium"""
import json
import sys
import threading
import time

import socketio

from checklib import check, expect, expect_equal, run
from chromium import Chromium

BASE = sys.argv[1].rstrip("/")
CHROMIUM = sys.argv[2]


class Browser(Chromium):
    """Chromium on the demo's pages."""

    def __init__(self):
        super().__init__(CHROMIUM, ignore_certificate_errors=BASE.startswith("https"))

    def describe(self):
        state = self.evaluate("document.body && document.body.dataset.state")
        log = self.evaluate("(document.getElementById('log') || {}).innerText")
        return f"state={state!r}; log={log!r}"

    def log_in(self, name):
        """Opens the demo, logs in as `name` and waits for the chat's socket to connect."""
        self.call("Page.navigate", url=BASE + "/")
        self.wait_for("document.readyState === 'complete' && !!document.getElementById('login-form')")
        self.evaluate(f"document.getElementById('name').value = {json.dumps(name)}; document.getElementById('login-form').submit(); true")
        self.wait_for("document.readyState === 'complete' && document.body.dataset.state === 'connected'")

    def log_in_and_join(self, name, room):
        """Logs in as `name`, then joins `room` through the page's script."""
        self.call("Page.enable")
        self.log_in(name)
        self.evaluate(f"chat.join({json.dumps(room)}); true")
        self.wait_for(f"document.body.dataset.state === {json.dumps('joined:' + room)}")

    def expect_permessage_deflate(self):
        """Waits for the WebSocket upgrade, then checks that its handshake response accepted
        permessage-deflate (needs Network.enable before the page loads)."""
        self.wait_for("chat.socket.io.engine.transport.name === 'websocket'")
        self.evaluate("1")   # collects the DevTools events that came meanwhile
        handshakes = [event["params"]["response"] for event in self.events
                      if event["method"] == "Network.webSocketHandshakeResponseReceived"]
        expect(handshakes, "no WebSocket handshake seen")
        extensions = [{k.lower(): v for k, v in response["headers"].items()}.get("sec-websocket-extensions", "") for response in handshakes]
        expect(any(value.startswith("permessage-deflate") for value in extensions), f"no permessage-deflate: {extensions}")

    def join_and_say(self, room, text):
        """Joins `room` through the page's form, then says `text` there."""
        self.evaluate(f"document.getElementById('room').value = {json.dumps(room)}; "
                      "document.getElementById('join-form').requestSubmit(); true")
        self.wait_for(f"document.body.dataset.state === {json.dumps('joined:' + room)}")
        self.evaluate(f"document.getElementById('text').value = {json.dumps(text)}; "
                      "document.getElementById('say-form').requestSubmit(); true")


@check
def a_browser_user_chats_with_a_python_client():
    said = []
    arrived = threading.Event()
    watcher = socketio.Client(reconnection=False)

    @watcher.on("said", namespace="/chat")
    def on_said(message, *offset):   # broadcasts carry their offset last (connection state recovery)
        said.append(message)
        arrived.set()

    watcher.connect(BASE, namespaces=["/chat"], wait_timeout=10)
    # Not logged in: joining is allowed, saying is denied.
    expect_equal(watcher.call("join", "lobby", namespace="/chat", timeout=5), {"ok": True, "room": "lobby", "user": None, "online": []})
    denied = watcher.call("say", "sneaky", namespace="/chat", timeout=5)
    expect_equal(denied["error"], "method_access_denied")

    browser = Browser()
    try:
        browser.call("Network.enable")
        browser.call("Page.enable")
        browser.log_in("Ada")
        expect_equal(browser.evaluate("document.getElementById('user').textContent"), "Ada")
        # Chromium offers permessage-deflate and the demo accepts it (checked in the handshake response).
        browser.expect_permessage_deflate()
        browser.join_and_say("lobby", "hello from chromium")
        browser.wait_for("document.body.dataset.state.startsWith('said:')")
        expect(arrived.wait(10), "the python client received nothing")
        expect_equal(said[0], {"room": "lobby", "user": "Ada", "text": "hello from chromium", "seq": 1})
        browser.wait_for("document.getElementById('log').innerText.includes('Ada: hello from chromium')")
        expect_equal(browser.evaluate("document.body.dataset.state"), "said:1")   # the room's first message
        expect_equal(browser.evaluate("document.getElementById('online').textContent"), "Ada")
    finally:
        browser.close()
        watcher.disconnect()


@check
def a_browser_whose_connection_is_cut_recovers_what_it_missed():
    watcher = socketio.Client(reconnection=False)
    watcher.connect(BASE, namespaces=["/chat"], wait_timeout=10)
    expect_equal(watcher.call("login", "Bob", namespace="/chat", timeout=5)["ok"], True)
    expect_equal(watcher.call("join", "lobby", namespace="/chat", timeout=5)["ok"], True)
    browser = Browser()
    try:
        browser.log_in_and_join("Ada", "lobby")
        browser.evaluate("chat.say('before the cut'); true")
        browser.wait_for("document.body.dataset.state.startsWith('said:')")
        sid = browser.evaluate("chat.socket.id")
        # Cut the connection under the client (no DISCONNECT packet); it reconnects after 2 s.
        browser.evaluate("chat.socket.io.reconnectionDelay(2000); chat.socket.io.reconnectionDelayMax(2000); "
                         "chat.socket.io.engine.close(); true")
        browser.wait_for("document.body.dataset.state === 'disconnected'")
        for text in ("first while away", "second while away"):
            expect_equal(watcher.call("say", text, namespace="/chat", timeout=5)["ok"], True)
        browser.wait_for("document.body.dataset.state === 'recovered'", timeout=20)
        expect_equal(browser.evaluate("chat.socket.recovered"), True)
        expect_equal(browser.evaluate("chat.socket.id"), sid)
        browser.wait_for("document.getElementById('log').innerText.includes('Bob: second while away')")
        lines = browser.evaluate("document.getElementById('log').innerText").split("\n")
        recovered_at = lines.index("reconnected (recovered)")
        expect_equal([line for line in lines[recovered_at:] if line.startswith("Bob:")], ["Bob: first while away", "Bob: second while away"])
        # Still in the room, and allowed to speak: the recovered socket's controller knows its room.
        browser.evaluate("chat.say('after the cut'); true")
        browser.wait_for("document.getElementById('log').innerText.includes('Ada: after the cut')")
    finally:
        browser.close()
        watcher.disconnect()


@check
def a_browser_sees_who_is_online_and_what_the_room_said_before():
    """The room's recent messages come first on joining, then who is online; arrivals and
    departures follow (a user with two sockets, once)."""
    cy, cy_again, dee = (socketio.Client(reconnection=False) for _ in range(3))
    for client in (cy, cy_again, dee):
        client.connect(BASE, namespaces=["/chat"], wait_timeout=10)
    for client, name in ((cy, "Cy"), (cy_again, "Cy"), (dee, "Dee")):
        expect_equal(client.call("login", name, namespace="/chat", timeout=5)["ok"], True)
    expect_equal(cy.call("join", "news", namespace="/chat", timeout=5)["online"], ["Cy"])
    expect_equal(cy_again.call("join", "news", namespace="/chat", timeout=5)["online"], ["Cy"])
    for text in ("one", "two"):
        expect_equal(cy.call("say", text, namespace="/chat", timeout=5)["ok"], True)
    browser = Browser()
    try:
        browser.log_in_and_join("Ada", "news")
        lines = browser.evaluate("document.getElementById('log').innerText").split("\n")
        expect_equal([line for line in lines if line.startswith("Cy:")], ["Cy: one", "Cy: two"])
        expect_equal(browser.evaluate("document.getElementById('online').textContent"), "Ada, Cy")
        expect_equal(dee.call("join", "news", namespace="/chat", timeout=5)["online"], ["Ada", "Cy", "Dee"])
        browser.wait_for("document.getElementById('online').textContent === 'Ada, Cy, Dee'")
        cy.disconnect()   # Cy's other socket stays: Cy is still there
        time.sleep(0.3)
        expect_equal(browser.evaluate("document.getElementById('online').textContent"), "Ada, Cy, Dee")
        cy_again.disconnect()
        browser.wait_for("document.getElementById('online').textContent === 'Ada, Dee'")
        browser.wait_for("document.getElementById('log').innerText.includes('Cy left news')")
    finally:
        browser.close()
        for client in (cy, cy_again, dee):
            client.disconnect()


@check
def a_browser_chats_over_https_and_wss():
    """Over TLS: the official client in Chromium logs in, upgrades to WebSocket (wss, with
    permessage-deflate), joins a room and sees what it says come back."""
    if not BASE.startswith("https"):
        return
    browser = Browser()
    try:
        browser.call("Network.enable")
        browser.log_in("Grace")
        expect(browser.evaluate("location.protocol") == "https:", "not over https")
        browser.expect_permessage_deflate()
        browser.join_and_say("tls", "hello over wss")
        browser.wait_for("document.getElementById('log').innerText.includes('Grace: hello over wss')")
    finally:
        browser.close()


if __name__ == "__main__":
    # python-socketio's threaded client is not reliable over TLS (it reads and writes one TLS
    # socket from two threads): over https only the browser's own check runs.
    run({"a_browser_chats_over_https_and_wss"} if BASE.startswith("https") else None, per_check_timeout=120)
