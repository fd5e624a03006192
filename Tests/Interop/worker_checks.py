"""Worker checks: the conformance server with WORKERS=2 (section 13 of the contract) serves
one port with two worker processes and no sticky sessions. Requests of one session arrive on
either worker over any TCP connection (raw HTTP on kept-alive connections shows which worker
accepted each); a WebSocket upgrade and pipelined requests are handed over; rooms,
broadcasts, counts, server-side emits and remote operations cross the workers
(python-socketio clients); a worker killed with SIGKILL is replaced while clients chat;
SIGTERM drains both workers; two such servers share one redis-server.

Usage: worker_checks.py SERVER_BINARY [REDIS_SERVER]
Also connection state recovery (RECOVERY_MS) on either worker, whichever worker the client
had and whichever sent the broadcasts it missed.

Prints 'N passed, M failed'.
"""
import asyncio
import base64
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

import msgpack

from cluster_clients import ClusterClient, RawSocketIO
from checklib import async_check, check, expect, expect_equal, free_port, run, wait_for_port, wait_until

SERVER = sys.argv[1]
REDIS_SERVER = sys.argv[2] if len(sys.argv) > 2 else None
NSP = "/cluster"


def start_server(extra=None):
    port = free_port()
    env = dict(os.environ, PORT=str(port), WORKERS="2", PING_INTERVAL="1000", PING_TIMEOUT="3000", **(extra or {}))
    process = subprocess.Popen([SERVER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return port, process


def workers_of(process):
    """The pids of a supervisor's workers."""
    out = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout
    return sorted(int(line) for line in out.split())


def wait_for_workers(process, count=2, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        pids = workers_of(process)
        if len(pids) == count:
            return pids
        time.sleep(0.02)
    raise AssertionError(f"{count} workers not running: {workers_of(process)}")


PORT, SUPERVISOR = start_server()
wait_for_workers(SUPERVISOR)


class RawHTTP:
    """One kept-alive TCP connection that sends requests and reads responses."""

    def __init__(self, port=None):
        self.sock = socket.create_connection(("127.0.0.1", port or PORT), timeout=5)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    @staticmethod
    def request(method, path, body=b"", headers=""):
        return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n{headers}\r\n").encode() + body

    def response(self):
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:]}
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._read()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body.decode(errors="replace")

    def exchange(self, method, path, body=b""):
        self.send(self.request(method, path, body))
        return self.response()

    def _read(self):
        data = self.sock.recv(65536)
        if not data:
            raise AssertionError("connection closed")
        self.buffer += data

    def handshake(self):
        """Opens a polling session on this connection: its sid names the worker that accepted it."""
        status, _, body = self.exchange("GET", "/socket.io/?EIO=4&transport=polling")
        expect_equal(status, 200)
        return json.loads(body[1:])["sid"]

    def close(self):
        self.sock.close()


def owner(sid):
    return sid[:2]


def connection_on(worker_prefix, tries=200):
    """A kept-alive connection accepted by the worker whose ids start with `worker_prefix`,
    and the sid of the session opened on it to tell."""
    for _ in range(tries):
        connection = RawHTTP()
        sid = connection.handshake()
        if owner(sid) == worker_prefix:
            return connection, sid
        connection.close()
    raise AssertionError(f"no connection reached worker {worker_prefix} in {tries} tries")


@check
def both_workers_accept_connections_on_the_one_port():
    seen = set()
    for _ in range(200):
        connection = RawHTTP()
        seen.add(owner(connection.handshake()))
        connection.close()
        if len(seen) == 2:
            break
    expect_equal(sorted(seen), ["AA", "AB"])


@check
def a_polling_session_is_served_whichever_worker_gets_its_requests():
    # The session lives on worker 0; its POST and GET come over a connection worker 1 accepted.
    home, sid = connection_on("AA")
    other, other_sid = connection_on("AB")
    status, _, body = other.exchange("POST", f"/socket.io/?EIO=4&transport=polling&sid={sid}", b"40/cluster,")
    expect_equal((status, body), (200, "ok"))
    status, _, body = other.exchange("GET", f"/socket.io/?EIO=4&transport=polling&sid={sid}")
    expect_equal(status, 200)
    expect(body.startswith("40/cluster,{\"sid\":\"AA"), body)
    # The kept-alive connection now belongs to worker 0: a new session on it is worker 0's.
    expect_equal(owner(other.handshake()), "AA")
    # And the session of worker 1 is still reached from there, handed back.
    status, _, body = other.exchange("POST", f"/socket.io/?EIO=4&transport=polling&sid={other_sid}", b"40/cluster,")
    expect_equal((status, body), (200, "ok"))
    status, _, body = home.exchange("GET", f"/socket.io/?EIO=4&transport=polling&sid={sid}&x=1")
    expect_equal(status, 200)
    home.close()
    other.close()


@check
def pipelined_requests_survive_a_handover_in_order():
    home, sid = connection_on("AA")
    home.close()
    other, _ = connection_on("AB")
    body = b"40/cluster,"
    other.send(RawHTTP.request("POST", f"/socket.io/?EIO=4&transport=polling&sid={sid}", body)
               + RawHTTP.request("GET", f"/socket.io/?EIO=4&transport=polling&sid={sid}")
               + RawHTTP.request("POST", f"/socket.io/?EIO=4&transport=polling&sid={sid}", b'42/cluster,7["whoami"]')
               + RawHTTP.request("GET", f"/socket.io/?EIO=4&transport=polling&sid={sid}")
               + RawHTTP.request("GET", "/socket.io/?EIO=4&transport=polling"))
    answers = [other.response() for _ in range(5)]
    expect_equal([status for status, _, _ in answers], [200] * 5)
    expect_equal(answers[0][2], "ok")
    expect(answers[1][2].startswith("40/cluster,"), answers[1][2])
    ack = answers[3][2]
    expect(ack.startswith("437/cluster,[") or ack.startswith("43/cluster,7["), ack)
    expect_equal(json.loads(ack[ack.index("["):])[0]["worker"], 0)
    expect_equal(owner(json.loads(answers[4][2][1:])["sid"]), "AA")
    other.close()


def ws_frame(text):
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    else:
        header += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws_read(connection):
    while len(connection.buffer) < 2:
        connection._read()
    length = connection.buffer[1] & 0x7F
    offset = 2
    if length == 126:
        while len(connection.buffer) < 4:
            connection._read()
        length = int.from_bytes(connection.buffer[2:4], "big")
        offset = 4
    while len(connection.buffer) < offset + length:
        connection._read()
    payload = connection.buffer[offset:offset + length]
    connection.buffer = connection.buffer[offset + length:]
    return payload.decode()


@check
def a_websocket_upgrade_is_handed_to_the_session_owner():
    home, sid = connection_on("AB")
    expect_equal(home.exchange("POST", f"/socket.io/?EIO=4&transport=polling&sid={sid}", b"40/cluster,")[:3:2], (200, "ok"))
    expect(home.exchange("GET", f"/socket.io/?EIO=4&transport=polling&sid={sid}")[2].startswith("40/cluster,"))
    other, _ = connection_on("AA")
    key = base64.b64encode(os.urandom(16)).decode()
    other.send(RawHTTP.request("GET", f"/socket.io/?EIO=4&transport=websocket&sid={sid}",
                               headers=f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                                       "Sec-WebSocket-Version: 13\r\n"))
    status, _, _ = other.response()
    expect_equal(status, 101)
    other.send(ws_frame("2probe"))
    expect_equal(ws_read(other), "3probe")
    other.send(ws_frame("5"))
    other.send(ws_frame('42/cluster,3["whoami"]'))
    while True:
        message = ws_read(other)
        if message.startswith("43/cluster,3"):
            break
    expect_equal(json.loads(message[len("43/cluster,3"):])[0]["worker"], 1)
    home.close()
    other.close()


@check
def a_sid_of_no_worker_is_an_unknown_session():
    connection = RawHTTP()
    for sid in ["Z" * 27, "AC" + "x" * 25, "AA" + "x" * 25, "A"]:
        status, _, body = connection.exchange("GET", f"/socket.io/?EIO=4&transport=polling&sid={sid}")
        expect_equal((status, json.loads(body)), (400, {"code": 1, "message": "Session ID unknown"}))
    connection.close()


async def close_all(items):
    await asyncio.gather(*[item.close() for item in items], return_exceptions=True)


@async_check
async def rooms_broadcasts_and_counts_cross_the_workers():
    a1 = await ClusterClient.on_worker(PORT, 0, "websocket")
    a2 = await ClusterClient.on_worker(PORT, 0, "polling")
    b1 = await ClusterClient.on_worker(PORT, 1, "polling")
    b2 = await ClusterClient.on_worker(PORT, 1, "websocket")
    for member in (a1, b1, b2):
        expect_equal(await member.call("join", "r1"), True)
    # A worker's first member of a room tells the other workers over their pipes; an emit that
    # another worker reads before that news misses it (as with Redis, README "Targeted routing").
    await asyncio.sleep(0.2)
    expect_equal(await a2.call("emit-to", "r1", "hello", {"n": 1}), True)
    expect_equal(await b1.call("emit-to", "r1", "hello", {"n": 2}), True)
    for member in (a1, b1, b2):
        await member.wait_for(lambda m=member: len(m.named("hello")) >= 2)
    await asyncio.sleep(0.2)
    for member in (a1, b1, b2):
        expect_equal(member.named("hello"), [[{"n": 1}], [{"n": 2}]])
    expect_equal(a2.named("hello"), [])
    expect_equal(await a2.call("count", "r1"), 3)
    expect_equal(await a1.call("broadcast", "news", "fresh"), True)
    for other in (a2, b1, b2):
        await other.wait_for(lambda o=other: o.named("news"))
    await asyncio.sleep(0.2)
    expect_equal(a1.named("news"), [])
    await close_all([a1, a2, b1, b2])


@async_check
async def server_side_emits_and_remote_operations_cross_the_workers():
    a = await ClusterClient.on_worker(PORT, 0)
    b = await ClusterClient.on_worker(PORT, 1, "polling")
    expect_equal(await a.call("server-side", {"x": 1}), True)
    await b.wait_for(lambda: b.named("server-side-seen"))
    await asyncio.sleep(0.2)
    expect_equal(a.named("server-side-seen"), [])
    b_sid = b.sio.get_sid(NSP)
    expect_equal(await a.call("join-remote", b_sid, "remote"), True)
    await asyncio.sleep(0.1)
    expect_equal(await a.call("count", "remote"), 1)
    expect_equal(await a.call("leave-remote", b_sid, "remote"), True)
    await asyncio.sleep(0.1)
    expect_equal(await a.call("count", "remote"), 0)
    expect_equal(await b.call("join", "doomed"), True)
    disconnected = asyncio.Event()
    b.sio.on("disconnect", lambda *_: disconnected.set(), namespace=NSP)
    expect_equal(await a.call("kick", "doomed"), True)
    await asyncio.wait_for(disconnected.wait(), 5)
    await close_all([a, b])


def worker_environment(pid):
    """A worker process's environment (its index and its links' directory are there)."""
    with open(f"/proc/{pid}/environ", "rb") as f:
        items = [item.decode(errors="replace").split("=", 1) for item in f.read().split(b"\0") if b"=" in item]
    return dict(items)


def mesh_frame(kind, body=b""):
    return struct.pack(">IB", len(body) + 1, kind) + body


def mesh_publish(channel, payload):
    name = channel.encode()
    return mesh_frame(4, struct.pack(">H", len(name)) + name + payload)


def worker_request(name, body, kind=0, sender=1, request_id=7):
    """A request between workers: kind | from | id | name length | name | body."""
    return struct.pack(">BHQB", kind, sender, request_id, len(name)) + name.encode() + body


def closed_by_peer(link):
    try:
        return link.recv(1) == b""
    except ConnectionResetError:
        return True


@async_check
async def garbage_between_workers_closes_that_link_and_crashes_no_worker():
    """Bytes that are no frames on a worker's link (an unknown kind, a length over the limit, a
    hello of no index or of this worker, a frame before any hello) close that link; garbage
    inside well-formed frames (publishes to the adapter's and the requests' channels, requests
    with undecodable bodies, answers to no request) is counted and dropped. Both workers keep
    running and serving, and broadcast to each other. On a server of its own: a hello in a
    worker's name resets what the receiver knows of that worker's subscriptions."""
    port, supervisor = start_server()
    clients = []
    try:
        pids = wait_for_workers(supervisor)
        directory = worker_environment(pids[0])["FLAGON_WORKER_DIR"]
        for index in (0, 1):
            not_frames = [mesh_frame(0x63), b"\xff\xff\xff\xff\x04", mesh_frame(1), mesh_frame(1, b"\x00\x05"),
                          mesh_frame(1, struct.pack(">H", index)), mesh_frame(2, b"room"), mesh_frame(4, b"\x00\x09ab")]
            for garbage in not_frames:
                with socket.socket(socket.AF_UNIX) as link:
                    link.settimeout(5)
                    link.connect(os.path.join(directory, f"w{index}.sock"))
                    link.sendall(garbage)
                    expect(closed_by_peer(link), f"worker {index} kept a link that sent {garbage[:16]!r}")
        # Well-formed frames with garbage inside, from a link that says it is worker 1, to worker 0.
        payloads = [b"", b"\xff" * 64, b"\x93\xa3abc", b"\x92\x01", bytes(range(256)) * 4, b"{\"not\": \"msgpack\"}",
                    msgpack.packb(["uid", {"type": 2, "data": 5, "nsp": 7}, {"rooms": 3, "except": "x", "flags": []}]),
                    msgpack.packb(["uid", {"type": 2, "data": ["e"] * 3, "nsp": "/cluster"}, {"rooms": ["r"] * 2000}]),
                    msgpack.packb({"uid": "u", "type": 99, "requestId": None, "data": {"x": [1] * 10}})]
        channels = ["socket.io#/cluster#", "socket.io#/#", "socket.io-request#/cluster#", "socket.io-response#/cluster#",
                    "socket.io#/cluster#room#", "flagon-requests#0#"]
        requests = [worker_request(name, body) for name in ("limits.admit", "limits.closed", "recovery.restore", "metrics", "nothing")
                    for body in (b"", b"\xff\x00", b"\x93")]
        requests += [worker_request("limits.admit", b"", kind=1, request_id=99), worker_request("x", b"", kind=9), b"\x00", b""]
        with socket.socket(socket.AF_UNIX) as link:
            link.settimeout(5)
            link.connect(os.path.join(directory, "w0.sock"))
            frames = [mesh_frame(1, struct.pack(">H", 1))]
            frames += [mesh_publish(channel, payload) for channel in channels for payload in payloads]
            frames += [mesh_publish("flagon-requests#0#", request) for request in requests]
            frames += [mesh_frame(5, b"GET / HTTP/1.1\r\n\r\n")]   # a handover with no connection
            link.sendall(b"".join(frames))
            await asyncio.sleep(0.5)
        expect_equal(workers_of(supervisor), pids)
        # Both workers serve; a room's broadcast still crosses from worker 1 to worker 0 (worker
        # 1 learnt nothing false: the false hello went to worker 0 only).
        home = await ClusterClient.on_worker(port, 0)
        away = await ClusterClient.on_worker(port, 1)
        clients = [home, away]
        expect_equal(await home.call("join", "after"), True)
        await asyncio.sleep(0.3)
        expect_equal(await away.call("emit-to", "after", "still", 1), True)
        await home.wait_for(lambda: home.named("still"))
        expect_equal(workers_of(supervisor), pids)
    finally:
        await close_all(clients)
        supervisor.kill()
        supervisor.wait()


@async_check
async def a_killed_worker_is_replaced_while_the_others_chat():
    steady = await ClusterClient.on_worker(PORT, 0)
    listener = await ClusterClient.on_worker(PORT, 0, "polling")
    doomed = await ClusterClient.on_worker(PORT, 1, reconnection=True)
    expect_equal(await listener.call("join", "chat"), True)
    # The doomed client is in the room too: the chat's broadcasts go to its worker as it dies.
    expect_equal(await doomed.call("join", "chat"), True)
    await asyncio.sleep(0.2)
    victim = [pid for pid in workers_of(SUPERVISOR)]
    # The worker of `doomed`: the one that is not the steady client's.
    pids_before = set(victim)
    lost = asyncio.Event()
    doomed.sio.on("disconnect", lambda *_: lost.set(), namespace=NSP)
    killed = None
    for pid in victim:
        # Worker 1's process: its environment names its index.
        if worker_environment(pid).get("FLAGON_WORKER_INDEX") == "1":
            killed = pid
    expect(killed is not None, "worker 1 not found")

    async def chat():
        for n in range(20):
            expect_equal(await steady.call("emit-to", "chat", "line", n), True)
            await asyncio.sleep(0.05)

    # Killed in the middle of the chat: its broadcasts are on their way to worker 1 as it dies.
    chatting = asyncio.create_task(chat())
    await listener.wait_for(lambda: len(listener.named("line")) >= 5)
    os.kill(killed, signal.SIGKILL)
    started = time.time()
    # Replaced while the others chat: a new worker process within a second or so.
    replaced_in = None
    while time.time() - started < 5:
        pids = workers_of(SUPERVISOR)
        if len(pids) == 2 and killed not in pids:
            replaced_in = time.time() - started
            break
        await asyncio.sleep(0.02)
    await chatting
    await listener.wait_for(lambda: len(listener.named("line")) == 20)
    expect_equal([args[0] for args in listener.named("line")], list(range(20)))
    expect(replaced_in is not None and len(set(pids) - pids_before) == 1, f"{workers_of(SUPERVISOR)} after killing {killed}")
    expect(replaced_in < 1.5, f"replaced after {replaced_in:.2f}s")
    print(f"     worker 1 killed and replaced in {replaced_in:.3f} s", flush=True)
    await asyncio.wait_for(lost.wait(), 10)
    # The client reconnects (to either worker) and chats again.
    deadline = time.time() + 10
    while time.time() < deadline and not doomed.sio.namespaces.get(NSP):
        await asyncio.sleep(0.05)
    expect("worker" in await doomed.call("whoami"))
    await close_all([steady, listener, doomed])


@async_check
async def sigterm_drains_both_workers_and_exits_cleanly():
    port, supervisor = start_server({"DRAIN_MS": "1500"})
    wait_for_workers(supervisor)
    clients = [await ClusterClient.on_worker(port, worker) for worker in (0, 1, 0, 1)]
    gone = [asyncio.Event() for _ in clients]
    for client, event in zip(clients, gone):
        client.sio.on("disconnect", lambda *_, e=event: e.set(), namespace=NSP)
    started = time.time()
    supervisor.send_signal(signal.SIGTERM)
    # Still served while draining.
    expect("worker" in await clients[1].call("whoami"))
    await asyncio.wait_for(asyncio.gather(*[event.wait() for event in gone]), 10)
    status = await asyncio.get_running_loop().run_in_executor(None, lambda: supervisor.wait(15))
    took = time.time() - started
    expect_equal(status, 0)
    expect(took < 12, f"took {took:.1f}s")


@async_check
async def two_servers_of_two_workers_share_one_redis():
    if not REDIS_SERVER:
        raise AssertionError("no redis-server given")
    redis_port = free_port()
    redis = subprocess.Popen([REDIS_SERVER, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    servers = []
    try:
        wait_for_port(redis_port)
        url = f"redis://127.0.0.1:{redis_port}"
        servers = [start_server({"REDIS_URL": url, "SERVER_ID": name}) for name in ("A", "B")]
        for _, process in servers:
            wait_for_workers(process)
        members = []
        for port, _ in servers:
            for worker in (0, 1):
                members.append(await ClusterClient.on_worker(port, worker))
        await asyncio.sleep(0.3)
        for member in members:
            expect_equal(await member.call("join", "everywhere"), True)
        await asyncio.sleep(0.3)
        expect_equal(await members[0].call("count", "everywhere"), 4)
        expect_equal(await members[3].call("emit-to", "everywhere", "hi", 1), True)
        for member in members:
            await member.wait_for(lambda m=member: m.named("hi"))
        await asyncio.sleep(0.2)
        for member in members:
            expect_equal(member.named("hi"), [[1]])
        me = await members[2].call("whoami")
        expect_equal((me["server"], me["worker"]), ("B", 0))
        await close_all(members)
    finally:
        for _, process in servers:
            process.kill()
            process.wait()
        redis.kill()
        redis.wait()


def recover_across(home_worker, back_worker, sender_worker):
    port, supervisor = start_server({"RECOVERY_MS": "30000"})
    try:
        wait_for_workers(supervisor)
        client = RawSocketIO(port, worker=home_worker)
        sid, pid = client.hello["sid"], client.hello["pid"]
        sender = RawSocketIO(port, worker=sender_worker)
        expect_equal(client.call("join", "room"), [True])
        expect_equal(sender.call("emit-to", "room", "news", 1), [True])
        first = client.event("news")
        expect_equal(first[0], 1)
        offset = first[1]
        client.close()   # the transport is lost, no DISCONNECT packet
        time.sleep(0.2)
        expect_equal(sender.call("emit-to", "room", "news", 2), [True])
        expect_equal(sender.call("emit-to", "room", "news", 3), [True])
        expect_equal(sender.call("emit-to", "other-room", "news", 99), [True])
        back = RawSocketIO(port, {"pid": pid, "offset": offset}, worker=back_worker)
        expect_equal(back.hello["sid"], sid)
        expect_equal(back.call("whoami")[0]["worker"], back_worker)
        expect_equal([back.event("news")[0], back.event("news")[0]], [2, 3])
        expect_equal(sender.call("emit-to", "room", "news", 4), [True])
        expect_equal(back.event("news")[0], 4)   # still in the room
        back.close()
        sender.close()
    finally:
        supervisor.kill()
        supervisor.wait()


@check
def a_client_recovers_on_the_other_worker_with_what_it_missed():
    recover_across(home_worker=0, back_worker=1, sender_worker=1)


@check
def a_client_recovers_on_its_worker_with_another_workers_broadcasts():
    recover_across(home_worker=0, back_worker=0, sender_worker=1)


@check
def the_sessions_of_one_address_are_limited_for_the_whole_server():
    port, supervisor = start_server({"MAX_SESSIONS_PER_ADDRESS": "3"})
    try:
        wait_for_workers(supervisor)
        opened, refused, workers = [], 0, set()
        for _ in range(40):
            connection = RawHTTP(port)
            status, _, body = connection.exchange("GET", "/socket.io/?EIO=4&transport=polling")
            if status == 200:
                sid = json.loads(body[1:])["sid"]
                opened.append((connection, sid))
                workers.add(owner(sid))
            else:
                expect_equal(status, 429)
                refused += 1
                connection.close()
        expect_equal(len(opened), 3)
        expect_equal(refused, 37)
        # Closing one session (a close packet) frees one place, wherever it was.
        connection, sid = opened.pop()
        expect_equal(connection.exchange("POST", f"/socket.io/?EIO=4&transport=polling&sid={sid}", b"1")[0], 200)
        time.sleep(0.3)
        status = 0
        for _ in range(20):
            status, _, _ = RawHTTP(port).exchange("GET", "/socket.io/?EIO=4&transport=polling")
            if status == 200:
                break
        expect_equal(status, 200)
        for other, _ in opened:
            other.close()
    finally:
        supervisor.kill()
        supervisor.wait()


@check
def a_server_side_http_session_is_seen_by_every_worker():
    import requests
    http = requests.Session()
    counts, workers = [], set()
    for _ in range(60):
        answer = http.get(f"http://127.0.0.1:{PORT}/session/counter", headers={"Connection": "close"}, timeout=5).json()
        counts.append(answer["count"])
        workers.add(answer["worker"])
    expect_equal(counts, list(range(1, 61)))
    expect_equal(sorted(workers), [0, 1])


@check
def sighup_reaches_the_workers_and_stops_none():
    before = wait_for_workers(SUPERVISOR)
    SUPERVISOR.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    expect_equal(workers_of(SUPERVISOR), before)
    connection = RawHTTP()
    connection.handshake()
    connection.close()


try:
    run(per_check_timeout=40)
finally:
    SUPERVISOR.terminate()
    try:
        SUPERVISOR.wait(15)
    except subprocess.TimeoutExpired:
        SUPERVISOR.kill()
