"""Interop checks with the real python-socketio client against the conformance server, for
each transport choice: polling only, WebSocket only, and the default (polling, then upgrade).
Usage: python socketio_client_checks.py http://127.0.0.1:PORT"""
import asyncio
import json
import sys
import threading
import time

import engineio
import socketio

from checklib import check, expect, expect_equal, run

BASE = sys.argv[1].rstrip("/")
MODES = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}


class Recorder:
    """Collects the events a client receives, per namespace, and waits for them."""

    def __init__(self, client, namespaces=("/",)):
        self.events = []
        # Events by (namespace, name): waiting on a count stays cheap while a thousand
        # events arrive (a scan per event kept the client from answering pings in time).
        self.by_name = {}
        self.condition = threading.Condition()
        # The Engine.IO messages in the order they came off the wire: python-engineio runs
        # each message's handler in a thread of its own, so the handlers' order is not
        # the server's (two adjacent events can swap); order is checked here instead.
        self.wire = []
        receive = client.eio._receive_packet

        def record_then_receive(pkt):
            if pkt.packet_type == engineio.packet.MESSAGE:
                self.wire.append(pkt.data)
            return receive(pkt)

        client.eio._receive_packet = record_then_receive
        for namespace in namespaces:
            client.on("*", self._handler(namespace), namespace=namespace)

    def _handler(self, namespace):
        def handler(event, *args):
            with self.condition:
                self.events.append((namespace, event, list(args)))
                self.by_name.setdefault((namespace, event), []).append(list(args))
                self.condition.notify_all()
        return handler

    def wait_for(self, predicate, timeout=5.0):
        deadline = time.time() + timeout
        with self.condition:
            while not predicate(self.events):
                remaining = deadline - time.time()
                if remaining <= 0:
                    raise AssertionError(f"timed out; got {self.events[-5:]}")
                self.condition.wait(remaining)

    def named(self, event, namespace="/"):
        return self.by_name.get((namespace, event), [])

    def wire_arguments(self, event):
        """The first argument of each text `event` of the main namespace, in wire order."""
        prefix = '2["%s",' % event
        return [json.loads("[" + data[len(prefix):])[0] for data in self.wire
                if isinstance(data, str) and data.startswith(prefix)]


def connect(mode, namespaces=("/",), auth=None):
    client = socketio.Client(reconnection=False)
    recorder = Recorder(client, namespaces)
    client.connect(BASE, transports=MODES[mode], namespaces=list(namespaces), auth=auth, wait_timeout=5)
    return client, recorder


def for_each_mode(fn):
    def wrapper():
        for mode in MODES:
            try:
                fn(mode)
            except Exception as error:
                raise AssertionError(f"[{mode}] {error}") from error
    wrapper.__name__ = fn.__name__
    return check(wrapper)


@for_each_mode
def transport_is_the_one_asked_for(mode):
    client, recorder = connect(mode)
    recorder.wait_for(lambda events: any(e[1] == "auth" for e in events))
    expected = "polling" if mode == "polling" else "websocket"
    deadline = time.time() + 3
    while client.transport() != expected and time.time() < deadline:
        time.sleep(0.02)
    expect_equal(client.transport(), expected)
    client.disconnect()


@for_each_mode
def events_and_acks_both_ways(mode):
    client, recorder = connect(mode, auth={"token": "123"})
    recorder.wait_for(lambda events: recorder.named("auth"))
    expect_equal(recorder.named("auth")[0], [{"token": "123"}])
    expect_equal(client.call("message-with-ack", (1, "2", {"3": [False]}), timeout=5), (1, "2", {"3": [False]}))
    client.emit("message", (1, "2", {"3": [True]}))
    recorder.wait_for(lambda events: recorder.named("message-back"))
    expect_equal(recorder.named("message-back")[0], [1, "2", {"3": [True]}])
    # Server to client with an ack: the client's handler return value is the ack.
    client.on("ack-request", lambda *args: ("answer", list(args)))
    client.emit("request-ack", ("q", 7))
    recorder.wait_for(lambda events: recorder.named("ack-result"))
    expect_equal(recorder.named("ack-result")[0], ["answer", ["q", 7]])
    client.disconnect()


@for_each_mode
def binary_both_ways(mode):
    client, recorder = connect(mode)
    blob = bytes(range(256)) * 40
    client.emit("message", ({"nested": [b"\x01\x02", {"deep": blob}]}, b"\xff"))
    recorder.wait_for(lambda events: recorder.named("message-back"))
    expect_equal(recorder.named("message-back")[0], [{"nested": [b"\x01\x02", {"deep": blob}]}, b"\xff"])
    expect_equal(client.call("message-with-ack", (b"\x00\x01", "x"), timeout=5), (b"\x00\x01", "x"))
    client.on("ack-request", lambda *args: b"\x09\x08")
    client.emit("request-ack", b"\x07")
    recorder.wait_for(lambda events: recorder.named("ack-result"))
    expect_equal(recorder.named("ack-result")[0], [b"\x09\x08"])
    client.disconnect()


@for_each_mode
def namespaces_multiplex_and_refuse(mode):
    client, recorder = connect(mode, namespaces=("/", "/chat", "/custom"))
    recorder.wait_for(lambda events: recorder.named("auth", "/custom"))
    expect_equal(client.call("join", "r1", namespace="/chat", timeout=5), {"ok": True, "room": "r1"})
    expect_equal(client.call("message-with-ack", "main", timeout=5), "main")
    client.disconnect()
    refused = socketio.Client(reconnection=False)
    errors = []
    refused.on("connect_error", lambda data: errors.append(data), namespace="/admin")
    try:
        refused.connect(BASE, transports=MODES[mode], namespaces=["/admin"], auth={"token": "nope"}, wait_timeout=5)
        raise AssertionError("connected without the token")
    except socketio.exceptions.ConnectionError:
        pass
    expect_equal(errors, [{"message": "unauthorized"}])
    admin, _ = connect(mode, namespaces=("/admin",), auth={"token": "secret"})
    expect_equal(admin.call("whoami", namespace="/admin", timeout=5), {"role": "admin"})
    admin.disconnect()


@for_each_mode
def rooms_and_broadcasts_exclude_the_sender(mode):
    clients = [connect(mode, namespaces=("/chat",)) for _ in range(3)]
    # A room per mode: the previous mode's clients may not have left the server yet.
    room = f"room-{mode}"
    (a, ra), (b, rb), (c, rc) = clients
    for client in (a, b):
        expect_equal(client.call("join", room, namespace="/chat", timeout=5), {"ok": True, "room": room})
    expect_equal(a.call("rooms", namespace="/chat", timeout=5), [room])
    result = a.call("say", {"room": room, "text": "hi"}, namespace="/chat", timeout=5)
    expect_equal(result, {"ok": True, "delivered": 1})
    rb.wait_for(lambda events: rb.named("said", "/chat"))
    said = rb.named("said", "/chat")[0][0]
    expect_equal((said["room"], said["text"]), (room, "hi"))
    expect_equal(said["from"], a.get_sid("/chat"))
    # The outsider c can speak to the room without being in it.
    expect_equal(c.call("say", {"room": room, "text": "yo"}, namespace="/chat", timeout=5), {"ok": True, "delivered": 2})
    ra.wait_for(lambda events: ra.named("said", "/chat"))
    time.sleep(0.1)
    expect_equal(len(ra.named("said", "/chat")), 1)
    expect_equal(rc.named("said", "/chat"), [])
    expect_equal(b.call("leave", room, namespace="/chat", timeout=5), {"ok": True, "room": room})
    expect_equal(c.call("say", {"room": room, "text": "again"}, namespace="/chat", timeout=5), {"ok": True, "delivered": 1})
    expect_equal(a.call("join", "", namespace="/chat", timeout=5), {"ok": False, "error": "invalid room"})
    expect_equal(a.call("say", "nope", namespace="/chat", timeout=5), {"ok": False, "error": "invalid message"})
    for client, _ in clients:
        client.disconnect()


@for_each_mode
def server_disconnect_reaches_the_client(mode):
    client, recorder = connect(mode, namespaces=("/", "/chat"))
    gone = threading.Event()
    client.on("disconnect", lambda *reason: gone.set(), namespace="/chat")
    client.emit("disconnect-me", namespace="/chat")
    expect(gone.wait(5), "no disconnect for /chat")
    expect_equal(client.call("message-with-ack", "still here", timeout=5), "still here")
    client.disconnect()


@for_each_mode
def a_thousand_messages_arrive_in_order(mode):
    client, recorder = connect(mode)
    for i in range(1000):
        client.emit("message", i)
    recorder.wait_for(lambda events: len(recorder.named("message-back")) == 1000, timeout=20)
    expect_equal(recorder.wire_arguments("message-back"), list(range(1000)))
    expect_equal(sorted(args[0] for args in recorder.named("message-back")), list(range(1000)))
    client.emit("burst", 1000)
    recorder.wait_for(lambda events: recorder.named("burst-end"), timeout=20)
    expect_equal(recorder.wire_arguments("burst-item"), list(range(1000)))
    expect_equal(sorted(args[0] for args in recorder.named("burst-item")), list(range(1000)))
    client.disconnect()


@for_each_mode
def session_data_is_per_socket(mode):
    client, _ = connect(mode)
    expect_equal(client.call("set-session", ("k", {"v": [1]}), timeout=5), True)
    expect_equal(client.call("get-session", "k", timeout=5), {"v": [1]})
    other, _ = connect(mode)
    expect_equal(other.call("get-session", "k", timeout=5), None)
    client.disconnect()
    other.disconnect()


@check
def async_client_connects_and_calls():
    async def main():
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(BASE, wait_timeout=5)
        result = await client.call("message-with-ack", {"async": True}, timeout=5)
        await client.disconnect()
        return result

    expect_equal(asyncio.run(main()), {"async": True})


if __name__ == "__main__":
    run(set(sys.argv[2:]) or None, per_check_timeout=60)
