"""A headless Chromium with one page, driven over its DevTools protocol (remote debugging),
for the checks that run the official Socket.IO JavaScript client in a real browser."""
import json
import shutil
import subprocess
import tempfile
import time

import requests
import websocket

from checklib import expect, free_port


class Chromium:
    """A headless Chromium and one page. `evaluate` runs JavaScript in the page (awaiting a
    promise it returns); `wait_for` polls an expression until it is truthy."""

    def __init__(self, binary, ignore_certificate_errors=False):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="flagon-chromium-")
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
            + (["--ignore-certificate-errors"] if ignore_certificate_errors else []) + [
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
        if target is None:
            self.close()
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
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise AssertionError(f"JavaScript threw: {details.get('exception', {}).get('description') or details.get('text')}")
        return result.get("result", {}).get("value")

    def describe(self):
        """What a timed-out wait reports about the page."""
        return ""

    def wait_for(self, expression, timeout=15):
        deadline = time.time() + timeout
        value = None
        while time.time() < deadline:
            try:
                value = self.evaluate(expression)
            except AssertionError as threw:   # not there yet (say, before the page's script ran)
                value = str(threw)
                time.sleep(0.05)
                continue
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}; last value {value!r}; {self.describe()}")

    def close(self):
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)
