"""The msgpack parser (section 10): the real python-socketio client with
serializer='msgpack' against the conformance server started with PARSER=msgpack, over
polling only and WebSocket only; then raw msgpack packets and garbage on the wire.
Usage: python msgpack_checks.py http://127.0.0.1:PORT"""
import sys
import threading
import time

import msgpack
import socketio
import websocket

from checklib import check, expect, expect_equal, run

BASE = sys.argv[1].rstrip("/")
WS = BASE.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"


class Inbox:
    def __init__(self, client, namespace="/"):
        self.events = []
        self.condition = threading.Condition()
        client.on("*", self.record, namespace=namespace)

    def record(self, event, *args):
        with self.condition:
            self.events.append((event, list(args)))
            self.condition.notify_all()

    def wait(self, event, count=1, timeout=5.0):
        deadline = time.time() + timeout
        with self.condition:
            while len([e for e in self.events if e[0] == event]) < count:
                remaining = deadline - time.time()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {event}; got {self.events[-5:]}")
                self.condition.wait(remaining)
            return [args for name, args in self.events if name == event]


def session(transport):
    client = socketio.Client(serializer="msgpack", reconnection=False)
    main, chat = Inbox(client, "/"), Inbox(client, "/chat")
    client.connect(BASE, namespaces=["/", "/chat"], transports=[transport], auth={"token": "t"}, wait_timeout=5)
    return client, main, chat


def checks_for(transport):
    @check
    def events_acks_and_binary():
        client, main, _ = session(transport)
        try:
            expect_equal(main.wait("auth")[0], [{"token": "t"}])
            blob = bytes(range(256))
            expect_equal(list(client.call("message-with-ack", (1, "two", {"three": [3]}, blob), timeout=5)), [1, "two", {"three": [3]}, blob])
            client.emit("message", ("x", blob))
            expect_equal(main.wait("message-back")[0], ["x", blob])
            client.on("ack-request", lambda *args: ("answered", *args))
            client.emit("request-ack", (7,))
            expect_equal(main.wait("ack-result")[0], ["answered", 7])
            client.emit("burst", (50,))
            main.wait("burst-end")
            expect_equal([args[0] for args in main.wait("burst-item", 50)], list(range(50)))
        finally:
            client.disconnect()

    @check
    def rooms_between_two_clients():
        a, _, a_chat = session(transport)
        b, _, b_chat = session(transport)
        try:
            expect_equal(a.call("join", "r", namespace="/chat", timeout=5), {"ok": True, "room": "r"})
            expect_equal(b.call("join", "r", namespace="/chat", timeout=5), {"ok": True, "room": "r"})
            expect_equal(b.call("say", {"room": "r", "text": "hi"}, namespace="/chat", timeout=5)["delivered"], 1)
            expect_equal(a_chat.wait("said")[0][0]["text"], "hi")
        finally:
            a.disconnect()
            b.disconnect()

    events_acks_and_binary.__name__ = f"{transport}_events_acks_and_binary"
    rooms_between_two_clients.__name__ = f"{transport}_rooms_between_two_clients"


checks_for("polling")
checks_for("websocket")


def raw():
    ws = websocket.create_connection(WS, timeout=5)
    expect(ws.recv().startswith("0{"), "no open packet")
    return ws


def receive_packet(ws):
    while True:
        opcode, data = ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_TEXT and data == b"2":
            ws.send("3")
            continue
        return opcode, data


@check
def literal_bytes_on_the_wire():
    ws = raw()
    try:
        # CONNECT to "/": {"type": 0, "nsp": "/"} as socket.io-msgpack-parser writes it.
        # (Engine.IO v4 sends a binary message over WebSocket as the bare bytes, no prefix.)
        ws.send_binary(bytes.fromhex("82a47479706500a36e7370a12f"))
        opcode, data = receive_packet(ws)
        expect_equal(opcode, websocket.ABNF.OPCODE_BINARY)
        reply = msgpack.unpackb(data)
        expect_equal((reply["type"], reply["nsp"], sorted(reply["data"])), (0, "/", ["sid"]))
        # EVENT with ack id 1: ["message-with-ack", bin(1,2,3)]
        ws.send_binary(msgpack.packb({"type": 2, "data": ["message-with-ack", b"\x01\x02\x03"], "nsp": "/", "id": 1}))
        while True:
            opcode, data = receive_packet(ws)
            packet = msgpack.unpackb(data)
            if packet["type"] == 3:
                break
        expect_equal(packet, {"type": 3, "data": [b"\x01\x02\x03"], "nsp": "/", "id": 1})
    finally:
        ws.close()


@check
def garbage_closes_only_its_own_connection():
    bystander, main, _ = session("websocket")
    try:
        for payload in (b"\xc1", msgpack.packb([1, 2]), msgpack.packb({"type": 9, "nsp": "/"}),
                        msgpack.packb({"type": 2, "nsp": "/", "data": "x"}), "42[\"text\"]"):
            ws = raw()
            if isinstance(payload, bytes):
                ws.send_binary(payload)
            else:
                ws.send(payload)
            closed = False
            deadline = time.time() + 5
            while time.time() < deadline:
                try:
                    opcode, _ = receive_packet(ws)
                except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
                    closed = True
                    break
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    closed = True
                    break
            expect(closed, f"{payload!r} did not close the connection")
        expect_equal(list(bystander.call("message-with-ack", ("still", "here"), timeout=5)), ["still", "here"])
    finally:
        bystander.disconnect()


if __name__ == "__main__":
    run(per_check_timeout=60)
