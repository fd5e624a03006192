"""Browser test of the chat demo: headless Chromium (driven through its remote-debugging
protocol, waiting in real time) logs in, joins a room and says something; a python-socketio
client in the same room receives it. Then the browser's connection is cut, the Python
client says two things meanwhile, and the official client recovers its session
(`socket.recovered`) with both messages, in order.
Over https (a demo serving TLS), only the browser's own check runs: Chromium is told to
accept the test certificate.
Usage: python browser_chat_check.py http(s)://127.0.0.1:PORT /usr/bin/chromium"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests
import socketio
import websocket

from checklib import check, expect, expect_equal, run

BASE = sys.argv[1].rstrip("/")
CHROMIUM = sys.argv[2]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """A headless Chromium and one page, driven over the DevTools protocol."""

    def __init__(self):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="flagon-chromium-")
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
            + (["--ignore-certificate-errors"] if BASE.startswith("https") else []) + [
             "--no-first-run", "--no-default-browser-check", f"--remote-debugging-port={self.port}",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        target = None
        while time.time() < deadline and target is None:
            try:
                pages = requests.get(f"http://127.0.0.1:{self.port}/json/list", timeout=1).json()
                target = next((p for p in pages if p.get("type") == "page"), None)
            except requests.RequestException:
                time.sleep(0.2)
        expect(target is not None, "Chromium did not start")
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=10, suppress_origin=True)
        self.next_id = 0
        self.events = []   # DevTools events that arrived while waiting for answers

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if "method" in message:
                self.events.append(message)
            if message.get("id") == self.next_id:
                expect("error" not in message, f"{method}: {message.get('error')}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression, timeout=15):
        deadline = time.time() + timeout
        value = None
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        state = self.evaluate("document.body && document.body.dataset.state")
        log = self.evaluate("(document.getElementById('log') || {}).innerText")
        raise AssertionError(f"timed out waiting for {expression}; last value {value!r}; state={state!r}; log={log!r}")

    def log_in(self, name):
        """Opens the demo, logs in as `name` and waits for the chat's socket to connect."""
        self.call("Page.navigate", url=BASE + "/")
        self.wait_for("document.readyState === 'complete' && !!document.getElementById('login-form')")
        self.evaluate(f"document.getElementById('name').value = {json.dumps(name)}; document.getElementById('login-form').submit(); true")
        self.wait_for("document.readyState === 'complete' && document.body.dataset.state === 'connected'")

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

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


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
    expect_equal(watcher.call("join", "lobby", namespace="/chat", timeout=5), {"ok": True, "room": "lobby", "user": None})
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
        expect_equal(said[0], {"room": "lobby", "user": "Ada", "text": "hello from chromium"})
        browser.wait_for("document.getElementById('log').innerText.includes('Ada: hello from chromium')")
        expect_equal(browser.evaluate("document.body.dataset.state"), "said:2")
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
        browser.call("Page.enable")
        browser.log_in("Ada")
        browser.evaluate("chat.join('lobby'); true")
        browser.wait_for("document.body.dataset.state === 'joined:lobby'")
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
