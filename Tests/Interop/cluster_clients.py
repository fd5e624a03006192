"""Clients of the conformance server's /cluster namespace, shared by the cluster, recovery and
worker checks: `ClusterClient`, a python-socketio client that records every event it gets,
and `RawSocketIO`, a Socket.IO client over a raw WebSocket (for recovery's pid and offset)."""
import asyncio
import json
import time

import socketio
import websocket

from checklib import expect, wait_until

NSP = "/cluster"
# The first two characters of the ids each worker makes (worker 0, worker 1).
WORKER_PREFIXES = ["AA", "AB"]


class ClusterClient:
    """A python-socketio client on /cluster that records every event it gets."""

    def __init__(self, sio):
        self.sio = sio
        self.events = []
        self.disconnects = 0
        self.changed = asyncio.Event()
        self.worker = None

    @classmethod
    async def connect(cls, port, transports=("websocket",), http_session=None, reconnection=False):
        kwargs = {"http_session": http_session} if http_session else {}
        sio = socketio.AsyncClient(reconnection=reconnection, reconnection_delay=0.1, reconnection_delay_max=0.5, **kwargs)
        client = cls(sio)

        async def any_event(event, *args):
            client.events.append((event, list(args)))
            client.changed.set()

        async def disconnected(*_):
            client.disconnects += 1
            client.changed.set()

        sio.on("*", any_event, namespace=NSP)
        sio.on("disconnect", disconnected, namespace=NSP)
        await sio.connect(f"http://127.0.0.1:{port}", namespaces=[NSP], transports=list(transports), wait_timeout=5)
        return client

    @classmethod
    async def on_worker(cls, port, worker, transport="websocket", reconnection=False):
        """A client served by worker `worker` of a server with workers (whoami tells)."""
        for _ in range(100):
            client = await cls.connect(port, (transport,), reconnection=reconnection)
            client.worker = (await client.call("whoami"))["worker"]
            if client.worker == worker:
                return client
            await client.close()
        raise AssertionError(f"no client reached worker {worker}")

    async def call(self, event, *args):
        return await self.sio.call(event, args if len(args) != 1 else args[0], namespace=NSP, timeout=5)

    def named(self, event):
        return [args for name, args in self.events if name == event]

    async def wait_for(self, predicate, timeout=5.0):
        await wait_until(predicate, self.changed, timeout, lambda: f"got {self.events[-5:]}")

    async def close(self):
        await self.sio.disconnect()


class RawSocketIO:
    """A Socket.IO client on /cluster over a raw WebSocket that answers pings and keeps what
    it receives. With `worker`, it opens Engine.IO sessions until one is on that worker (its
    sid says) before it connects."""

    def __init__(self, port, auth=None, worker=None):
        for _ in range(100):
            self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=5)
            opened = self.ws.recv()
            expect(opened.startswith("0{"), opened)
            if worker is None or json.loads(opened[1:])["sid"][:2] == WORKER_PREFIXES[worker]:
                break
            self.ws.close()
        else:
            raise AssertionError(f"no session reached worker {worker}")
        self.inbox = []
        self.next_id = 0
        self.ws.send(f"40{NSP}," + (json.dumps(auth) if auth else ""))
        reply = self.take(lambda text: text.startswith(f"40{NSP},"))
        self.hello = json.loads(reply[len(f"40{NSP},"):])

    def receive(self, timeout):
        self.ws.settimeout(timeout)
        text = self.ws.recv()
        if text == "2":
            self.ws.send("3")
            return None
        return text

    def take(self, predicate, timeout=5.0):
        deadline = time.time() + timeout
        while True:
            for index, text in enumerate(self.inbox):
                if predicate(text):
                    return self.inbox.pop(index)
            remaining = deadline - time.time()
            if remaining <= 0:
                raise AssertionError(f"timed out; inbox {self.inbox[-5:]}")
            try:
                text = self.receive(remaining)
            except websocket.WebSocketTimeoutException:
                continue
            if text is not None:
                self.inbox.append(text)

    def call(self, *args):
        self.next_id += 1
        ack_id = self.next_id
        self.ws.send(f"42{NSP},{ack_id}" + json.dumps(list(args)))
        ack = self.take(lambda text: text.startswith(f"43{NSP},{ack_id}["))
        return json.loads(ack[len(f"43{NSP},{ack_id}"):])

    def event(self, name, timeout=5.0):
        text = self.take(lambda t: t.startswith(f'42{NSP},["{name}"'), timeout)
        return json.loads(text[len(f"42{NSP},"):])[1:]

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
