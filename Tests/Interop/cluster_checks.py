"""Cluster checks: two conformance-server processes sharing one redis-server (section 8 of
the contract), driven by python-socketio clients over WebSocket and long-polling; what
@socket.io/redis-emitter publishes (rebuilt with the PyPI redis and msgpack packages) and
flagon-emit; garbage on every channel; redis-server killed and restarted; Redis absent at
start; and, when nginx is given, two processes behind nginx.

Usage: cluster_checks.py SERVER_BINARY REDIS_SERVER FLAGON_EMIT [NGINX NGINX_CONF [DEMO_BINARY]]
Prints 'N passed, M failed'.
"""
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time

import aiohttp
import msgpack
import redis
import socketio

from cluster_clients import ClusterClient as Client
from checklib import async_check, check, expect, expect_equal, free_port, run, wait_for_port, wait_until

SERVER, REDIS_SERVER, FLAGON_EMIT = sys.argv[1:4]
NGINX = sys.argv[4] if len(sys.argv) > 4 else None
NGINX_CONF = sys.argv[5] if len(sys.argv) > 5 else None
DEMO = sys.argv[6] if len(sys.argv) > 6 else None
NSP = "/cluster"


class Redis:
    def __init__(self):
        self.port = free_port()
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def kill(self):
        self.process.kill()
        self.process.wait()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port)


def start_server(server_id, redis_url, extra=None):
    port = free_port()
    env = dict(os.environ, PORT=str(port), REDIS_URL=redis_url, SERVER_ID=server_id, PING_INTERVAL="2000",
               PING_TIMEOUT="5000", **(extra or {}))
    process = subprocess.Popen([SERVER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(port)
    return port, process


REDIS = Redis()
A_PORT, A = start_server("A", REDIS.url)
B_PORT, B = start_server("B", REDIS.url)
PORTS = {"A": A_PORT, "B": B_PORT}


async def clients(*specs):
    """Clients on (server, transport) pairs, connected at once."""
    return await asyncio.gather(*[Client.connect(PORTS[server], (transport,)) for server, transport in specs])


async def followed(room, servers):
    """Waits until `servers` servers follow a room's channel in Redis. A room's first member
    on a server subscribes within one Redis round trip of joining (README, "Targeted
    routing"): an emit another server publishes before then misses that member."""
    if os.environ.get("REDIS_SHARDED") == "static":
        return   # one channel per namespace, followed from the start
    channel = f"socket.io#{NSP}#{room}#"
    observer = REDIS.client()

    def count():
        if os.environ.get("REDIS_SHARDED"):
            reply = observer.execute_command("PUBSUB", "SHARDNUMSUB", channel)
        else:
            reply = observer.execute_command("PUBSUB", "NUMSUB", channel)
        flat = [item for pair in reply for item in (pair if isinstance(pair, (list, tuple)) else [pair])]
        return int(flat[1])

    deadline = time.time() + 5
    while count() < servers:
        if time.time() > deadline:
            raise AssertionError(f"{channel} has {count()} subscribers, not {servers}")
        await asyncio.sleep(0.01)


async def close_all(items):
    await asyncio.gather(*[item.close() for item in items], return_exceptions=True)


@async_check
async def whoami_names_each_server():
    a, b = await clients(("A", "websocket"), ("B", "polling"))
    expect_equal((await a.call("whoami"))["server"], "A")
    me = await b.call("whoami")
    expect_equal(me["server"], "B")
    expect_equal(me["sid"], b.sio.get_sid(NSP))
    await close_all([a, b])


@async_check
async def room_emits_reach_members_on_both_servers_exactly_once():
    a1, b1, b2, a2 = await clients(("A", "websocket"), ("B", "polling"), ("B", "websocket"), ("A", "polling"))
    for member in (a1, b1, b2):
        expect_equal(await member.call("join", "r1"), True)
    await followed("r1", 2)
    expect_equal(await a2.call("emit-to", "r1", "hello", {"n": 1}), True)
    for member in (a1, b1, b2):
        await member.wait_for(lambda m=member: m.named("hello"))
    expect_equal(await b1.call("emit-to", "r1", "hello", {"n": 2}), True)
    for member in (a1, b1, b2):
        await member.wait_for(lambda m=member: len(m.named("hello")) >= 2)
    await asyncio.sleep(0.3)
    for member in (a1, b1, b2):
        expect_equal(member.named("hello"), [[{"n": 1}], [{"n": 2}]])
    expect_equal(a2.named("hello"), [])
    await close_all([a1, b1, b2, a2])


@async_check
async def broadcast_excludes_the_sender_cluster_wide():
    a1, a2, b1 = await clients(("A", "websocket"), ("A", "polling"), ("B", "websocket"))
    expect_equal(await a1.call("broadcast", "news", "fresh"), True)
    await a2.wait_for(lambda: a2.named("news"))
    await b1.wait_for(lambda: b1.named("news"))
    await asyncio.sleep(0.3)
    expect_equal(a1.named("news"), [])
    expect_equal(b1.named("news"), [["fresh"]])
    await close_all([a1, a2, b1])


@async_check
async def binary_crosses_the_cluster_as_binary():
    a, b = await clients(("A", "websocket"), ("B", "polling"))
    await b.call("join", "bin")
    await followed("bin", 1)
    payload = bytes(range(256)) * 3
    await a.call("emit-to", "bin", "blob", {"bytes": payload, "name": "x"})
    await b.wait_for(lambda: b.named("blob"))
    got = b.named("blob")[0][0]
    expect(isinstance(got["bytes"], bytes), f"not bytes: {type(got['bytes'])}")
    expect_equal(got["bytes"], payload)
    await close_all([a, b])


@async_check
async def count_comes_from_every_server():
    members = await clients(("A", "websocket"), ("A", "polling"), ("B", "websocket"))
    for member in members:
        await member.call("join", "counted")
    outsider = (await clients(("B", "polling")))[0]
    expect_equal(await outsider.call("count", "counted"), 3)
    expect_equal(await members[0].call("count", "counted"), 3)
    await close_all(members + [outsider])


@async_check
async def server_side_emit_reaches_only_the_other_servers():
    a, b = await clients(("A", "websocket"), ("B", "websocket"))
    expect_equal(await a.call("server-side", {"x": 1}), True)
    await b.wait_for(lambda: b.named("server-side-seen"))
    await asyncio.sleep(0.3)
    expect_equal(b.named("server-side-seen"), [[{"server": "B", "data": {"x": 1}}]])
    expect_equal(a.named("server-side-seen"), [])
    await close_all([a, b])


@async_check
async def remote_join_and_leave_across_servers():
    a, b = await clients(("A", "websocket"), ("B", "polling"))
    b_sid = b.sio.get_sid(NSP)
    expect_equal(await a.call("join-remote", b_sid, "joined-remotely"), True)
    await asyncio.sleep(0.3)
    await a.call("emit-to", "joined-remotely", "via-remote", 1)
    await b.wait_for(lambda: b.named("via-remote"))
    expect_equal(await a.call("leave-remote", b_sid, "joined-remotely"), True)
    await asyncio.sleep(0.3)
    await a.call("emit-to", "joined-remotely", "via-remote", 2)
    await asyncio.sleep(0.5)
    expect_equal(b.named("via-remote"), [[1]])
    await close_all([a, b])


@async_check
async def kick_disconnects_members_on_every_server():
    a1, b1, b2 = await clients(("A", "websocket"), ("B", "websocket"), ("B", "polling"))
    await a1.call("join", "doomed")
    await b1.call("join", "doomed")
    expect_equal(await b2.call("kick", "doomed"), True)
    await a1.wait_for(lambda: a1.disconnects == 1)
    await b1.wait_for(lambda: b1.disconnects == 1)
    await asyncio.sleep(0.3)
    expect_equal(b2.disconnects, 0)
    await close_all([a1, b1, b2])


@async_check
async def fan_out_to_one_hundred_members_split_across_servers():
    specs = [("A" if i % 2 else "B", "websocket" if i % 3 else "polling") for i in range(100)]
    members = await clients(*specs)
    await asyncio.gather(*[member.call("join", "big") for member in members])
    await followed("big", 2)
    await members[0].call("emit-to", "big", "all-of-you", "go")
    await asyncio.gather(*[member.wait_for(lambda m=member: m.named("all-of-you"), timeout=10) for member in members])
    await asyncio.sleep(0.3)
    expect(all(member.named("all-of-you") == [["go"]] for member in members), "someone got it twice")
    await close_all(members)


def emitter_message(namespace, event, args, rooms=(), except_rooms=()):
    """What @socket.io/redis-emitter publishes: [uid, packet, {rooms, flags, except}]."""
    packet = {"type": 2, "data": [event, *args], "nsp": namespace}
    options = {"rooms": list(rooms), "flags": {}, "except": list(except_rooms)}
    return msgpack.packb(["emitter", packet, options], use_bin_type=True)


def emitter_channel(namespace, rooms):
    return f"socket.io#{namespace}#" + (f"{rooms[0]}#" if len(rooms) == 1 else "")


@async_check
async def what_the_node_emitter_publishes_reaches_both_servers():
    a, b, outsider_a, outsider_b = await clients(("A", "websocket"), ("B", "polling"), ("A", "polling"), ("B", "websocket"))
    await a.call("join", "em")
    await b.call("join", "em")
    await followed("em", 2)
    publisher = REDIS.client()
    publisher.publish(emitter_channel(NSP, ["em"]), emitter_message(NSP, "from-emitter", [{"k": "v"}, b"\x00\x01"], rooms=["em"]))
    for member in (a, b):
        await member.wait_for(lambda m=member: m.named("from-emitter"))
        expect_equal(member.named("from-emitter"), [[{"k": "v"}, b"\x00\x01"]])
    publisher.publish(emitter_channel(NSP, []), emitter_message(NSP, "not-em", [1], except_rooms=["em"]))
    for outsider in (outsider_a, outsider_b):
        await outsider.wait_for(lambda o=outsider: o.named("not-em"))
    await asyncio.sleep(0.3)
    expect_equal(a.named("not-em") + b.named("not-em"), [])
    # The emitter's socketsJoin (a request without uid) then an emit to the new room.
    publisher.publish(f"socket.io-request#{NSP}#", b'{"type":2,"opts":{"rooms":["em"],"except":[]},"rooms":["em2"]}')
    await asyncio.sleep(0.3)
    publisher.publish(emitter_channel(NSP, ["em2"]), emitter_message(NSP, "em2", []))
    for member in (a, b):
        await member.wait_for(lambda m=member: m.named("em2"))
    await close_all([a, b, outsider_a, outsider_b])


@async_check
async def flagon_emit_reaches_both_servers():
    a, b, other = await clients(("A", "polling"), ("B", "websocket"), ("B", "polling"))
    await a.call("join", "cli")
    await b.call("join", "cli")
    await followed("cli", 2)
    result = subprocess.run([FLAGON_EMIT, "--redis", REDIS.url, "--nsp", NSP, "--room", "cli", "from-cli", '{"n": 1}', "text"],
                            capture_output=True, timeout=20)
    expect_equal(result.returncode, 0)
    for member in (a, b):
        await member.wait_for(lambda m=member: m.named("from-cli"))
        expect_equal(member.named("from-cli"), [[{"n": 1}, "text"]])
    await asyncio.sleep(0.3)
    expect_equal(other.named("from-cli"), [])
    bad = subprocess.run([FLAGON_EMIT, "--redis", "redis://127.0.0.1:1", "x"], capture_output=True, timeout=20)
    expect(bad.returncode != 0 and b"cannot reach Redis" in bad.stderr, f"{bad.returncode} {bad.stderr!r}")
    await close_all([a, b, other])


@async_check
async def garbage_on_every_channel_changes_nothing():
    a, b = await clients(("A", "websocket"), ("B", "websocket"))
    await a.call("join", "g")
    await b.call("join", "g")
    await followed("g", 2)
    publisher = REDIS.client()
    channels = [f"socket.io#{NSP}#", f"socket.io#{NSP}#g#", f"socket.io-request#{NSP}#", f"socket.io-response#{NSP}#",
                f"socket.io#{NSP}#{b.sio.get_sid(NSP)}#"]
    garbage = [b"", b"\xc1", b"\xff\xff\xff", b"{not json", b"[1,2]", b'{"type": 99}', b'{"type": "2"}',
               b'{"type": 2, "opts": 5, "rooms": "x"}', b'{"type": 4, "opts": {"rooms": 7}}',
               b'{"type": 5, "requestId": 12}', b'{"type": 6, "data": "nope"}', b'{"type": 7, "requestId": "r"}',
               msgpack.packb([1, 2, 3]), msgpack.packb(["uid", {"type": 2, "nsp": "/other", "data": ["x"]}, {}]),
               msgpack.packb(["uid", {"type": 9, "nsp": NSP}, {"rooms": ["g"]}]),
               msgpack.packb(["uid", {"type": 2, "nsp": NSP, "data": "not-a-list"}, {}]),
               msgpack.packb(["uid", {"type": 2, "nsp": NSP, "data": ["x"]}, {"rooms": [{}]}]),
               msgpack.packb({"type": 8, "requestId": "nobody", "clientCount": 3}), bytes(range(256))]
    for channel in channels:
        for payload in garbage:
            publisher.publish(channel, payload)
    await asyncio.sleep(0.5)
    expect(A.poll() is None and B.poll() is None, "a server died")
    expect_equal(a.disconnects + b.disconnects, 0)
    expect_equal(await a.call("emit-to", "g", "still", "fine"), True)
    for member in (a, b):
        await member.wait_for(lambda m=member: m.named("still"))
    garbage_events = [name for name, _ in a.events + b.events if name != "still"]
    expect_equal(garbage_events, [])
    await close_all([a, b])


@async_check
async def only_rooms_with_local_members_are_subscribed():
    a = (await clients(("A", "websocket")))[0]
    observer = REDIS.client()
    channel = f"socket.io#{NSP}#lonely#"

    def subscribers():
        return dict(observer.pubsub_numsub(channel))[channel.encode()]

    expect_equal(subscribers(), 0)
    await a.call("join", "lonely")
    await asyncio.sleep(0.3)
    expect_equal(subscribers(), 1)   # server A only: B has no member
    await a.close()
    await asyncio.sleep(0.5)
    expect_equal(subscribers(), 0)


@async_check
async def a_redis_restart_is_survived():
    a, b = await clients(("A", "websocket"), ("B", "polling"))
    await b.call("join", "after-restart")
    REDIS.kill()
    await asyncio.sleep(1.0)
    # Local delivery goes on while Redis is away.
    await a.call("join", "after-restart")
    await a.call("emit-to", "after-restart", "local-only", 1)
    await a.wait_for(lambda: a.named("local-only"))
    REDIS.start()
    started = time.time()
    delivered = False
    attempt = 0
    while time.time() - started < 5 and not delivered:
        attempt += 1
        await a.call("emit-to", "after-restart", "resumed", attempt)
        await asyncio.sleep(0.2)
        delivered = bool(b.named("resumed"))
    expect(delivered, "cross-server delivery did not resume within 5 s")
    print(f"     cross-server delivery resumed {time.time() - started:.2f} s after redis-server came back", flush=True)
    expect_equal(a.disconnects + b.disconnects, 0)
    expect(A.poll() is None and B.poll() is None, "a server died")
    await close_all([a, b])


@check
def redis_absent_at_start_is_a_clear_error():
    port = free_port()
    env = dict(os.environ, PORT=str(free_port()), REDIS_URL=f"redis://127.0.0.1:{port}", SERVER_ID="C")
    result = subprocess.run([SERVER], env=env, capture_output=True, timeout=20)
    expect(result.returncode != 0, "the server started without its Redis")
    expect(f"cannot reach Redis at redis://127.0.0.1:{port}".encode() in result.stderr, result.stderr.decode()[-500:])


@async_check
async def behind_nginx_polling_and_websocket_clients_chat_across_processes():
    if not NGINX:
        raise AssertionError("nginx not given")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="flagon-nginx-")
    with open(NGINX_CONF) as template:
        config = template.read()
    config = (config.replace("127.0.0.1:5001", f"127.0.0.1:{A_PORT}").replace("127.0.0.1:5002", f"127.0.0.1:{B_PORT}")
              .replace("listen 127.0.0.1:8080", f"listen 127.0.0.1:{port}"))
    temp_paths = "".join(f"    {kind}_temp_path {workdir}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config = f"pid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\n" + config.replace("http {\n", "http {\n" + temp_paths, 1)
    conf_path = os.path.join(workdir, "nginx.conf")
    with open(conf_path, "w") as out:
        out.write(config)
    nginx = subprocess.Popen([NGINX, "-p", workdir, "-c", conf_path, "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    try:
        wait_for_port(port)
        # Each client comes from its own loopback address: nginx hashes the address to a process.
        by_server = {}
        for last in range(2, 40):
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(f"127.0.0.{last}", 0)))
            transport = "polling" if last % 2 else "websocket"
            sio = socketio.AsyncClient(reconnection=False, http_session=session)
            client = Client(sio)

            async def any_event(event, *args, c=client):
                c.events.append((event, list(args)))
                c.changed.set()

            sio.on("*", any_event, namespace=NSP)
            await sio.connect(f"http://127.0.0.1:{port}", namespaces=[NSP], transports=[transport], wait_timeout=5)
            server = (await client.call("whoami"))["server"]
            client.session = session
            by_server.setdefault((server, transport), client)
            if len(by_server) == 4:
                break
            if by_server.get((server, transport)) is not client:
                await client.close()
                await session.close()
        expect(len({server for server, _ in by_server}) == 2, f"nginx sent every client to one process: {list(by_server)}")
        members = list(by_server.values())
        for member in members:
            await member.call("join", "nginx-room")
        await followed("nginx-room", 2)
        for index, sender in enumerate(members):
            await sender.call("emit-to", "nginx-room", "said", index)
        for member in members:
            await member.wait_for(lambda m=member: len(m.named("said")) == len(members))
            expect_equal(sorted(args[0] for args in member.named("said")), list(range(len(members))))
        for member in members:
            await member.close()
            await member.session.close()
    finally:
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.wait(5)
        except subprocess.TimeoutExpired:
            nginx.kill()


@check
def the_demo_chat_runs_unchanged_as_a_cluster():
    if not DEMO:
        raise AssertionError("demo not given")
    ports = [free_port(), free_port()]
    env = dict(os.environ, REDIS_URL=REDIS.url, FLAGON_SECRET_KEY="cluster-check")
    demos = [subprocess.Popen([DEMO], env=dict(env, PORT=str(port)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for port in ports]
    try:
        for port in ports:
            wait_for_port(port)
        said = []
        ann, bob = socketio.Client(reconnection=False), socketio.Client(reconnection=False)
        bob.on("said", lambda data, *offset: said.append(data), namespace="/chat")
        ann.connect(f"http://127.0.0.1:{ports[0]}", namespaces=["/chat"], transports=["websocket"], wait_timeout=5)
        bob.connect(f"http://127.0.0.1:{ports[1]}", namespaces=["/chat"], transports=["polling"], wait_timeout=5)
        for client, name in ((ann, "ann"), (bob, "bob")):
            expect_equal(client.call("login", name, namespace="/chat", timeout=5)["ok"], True)
            expect_equal(client.call("join", "general", namespace="/chat", timeout=5)["ok"], True)
        time.sleep(0.3)
        expect_equal(ann.call("say", "hi bob", namespace="/chat", timeout=5)["ok"], True)
        deadline = time.time() + 5
        while not said and time.time() < deadline:
            time.sleep(0.05)
        expect_equal(said, [{"room": "general", "user": "ann", "text": "hi bob", "seq": 1}])
        ann.disconnect()
        bob.disconnect()
    finally:
        for demo in demos:
            demo.kill()
            demo.wait()


# With REDIS_SHARDED (sharded pub/sub, in the servers' environment), the checks of what the
# cluster does; those of classic channels (the emitter, raw garbage, channel subscriptions),
# nginx and the demo are classic pub/sub's.
SHARDED_CHECKS = {
    "whoami_names_each_server", "room_emits_reach_members_on_both_servers_exactly_once",
    "broadcast_excludes_the_sender_cluster_wide", "binary_crosses_the_cluster_as_binary", "count_comes_from_every_server",
    "server_side_emit_reaches_only_the_other_servers", "remote_join_and_leave_across_servers",
    "kick_disconnects_members_on_every_server", "fan_out_to_one_hundred_members_split_across_servers", "a_redis_restart_is_survived",
}

try:
    run(SHARDED_CHECKS if os.environ.get("REDIS_SHARDED") else None, per_check_timeout=40)
finally:
    for process in (A, B):
        process.kill()
    REDIS.kill()
