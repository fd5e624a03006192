"""Redis Cluster checks (section 14 of the contract, REDIS_CLUSTER=1): the test makes a
Redis Cluster of three primaries, each with a replica (redis-server --cluster-enabled yes,
redis-cli --cluster create), and runs two conformance servers that know only the first
node's URL. python-socketio clients check rooms, broadcasts, counts, requests and binary
across the servers; recovery moves a client from one server to the other; garbage is
published on every channel; then a primary fails over to its replica (CLUSTER FAILOVER),
and a primary is killed (the cluster promotes its replica): both times the clients stay
connected and delivery between the servers resumes within 15 s. With REDIS_SHARDED in the
environment, the servers use sharded pub/sub, each shard channel followed on the node that
serves its slot.

Usage: redis_cluster_checks.py SERVER_BINARY REDIS_SERVER REDIS_CLI
Prints 'N passed, M failed'.
"""
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import redis

from cluster_clients import ClusterClient as Client
from cluster_clients import RawSocketIO as Raw
from checklib import async_check, check, expect, expect_equal, free_port, reserve_port, run, wait_for_port

SERVER, REDIS_SERVER, REDIS_CLI = sys.argv[1:4]
SHARDED = os.environ.get("REDIS_SHARDED") or None
NSP = "/cluster"
MAIN_CHANNEL = f"socket.io#{NSP}#"


class RedisClusterUnderTest:
    """Six redis-server processes in one cluster: three primaries, three replicas."""

    def __init__(self, size=6):
        self.workdir = tempfile.mkdtemp(prefix="flagon-redis-cluster-")
        self.ports = []
        while len(self.ports) < size:
            port = self.free_node_port()
            if port not in self.ports:
                self.ports.append(port)
        self.processes = {}
        for port in self.ports:
            self.start(port)
        nodes = [f"127.0.0.1:{port}" for port in self.ports]
        subprocess.run([REDIS_CLI, "--cluster", "create", *nodes, "--cluster-replicas", "1", "--cluster-yes"],
                       check=True, capture_output=True, timeout=60)
        deadline = time.time() + 30
        while time.time() < deadline:
            if all(self.state(port) == "ok" for port in self.ports) and all(len(r) == 4 for r in self.slot_ranges()):
                return
            time.sleep(0.2)
        raise RuntimeError("the Redis Cluster did not become ready")

    @staticmethod
    def free_node_port():
        """A free port whose cluster bus port (port + 10000) is free too, both below Linux's
        ephemeral range (32768 and up), where the outgoing connections of the tests that run
        beside these cannot take them between this probe and redis-server's bind; both held
        (checklib.reserve_port) so that no other test process takes them either."""
        for _ in range(1000):
            port = random.randint(20000, 22700)
            if reserve_port(port) and reserve_port(port + 10000):
                return port
        raise RuntimeError("no free pair of ports")

    def start(self, port):
        directory = os.path.join(self.workdir, str(port))
        os.makedirs(directory, exist_ok=True)
        self.processes[port] = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
             "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000", "--save", "", "--appendonly", "no",
             "--dir", directory], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port)

    def client(self, port):
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)

    def state(self, port):
        try:
            info = self.client(port).execute_command("CLUSTER", "INFO")
        except redis.RedisError:
            return None
        text = info.decode() if isinstance(info, bytes) else str(info)
        for line in text.splitlines():
            if line.startswith("cluster_state:"):
                return line.split(":", 1)[1].strip()
        return None

    def slot_ranges(self, port=None):
        """[[start, end, primary, replica], ...] as CLUSTER SLOTS says (ports)."""
        ranges = self.client(port or self.live_port()).execute_command("CLUSTER", "SLOTS")
        return [[entry[0], entry[1]] + [node[1] for node in entry[2:]] for entry in ranges]

    def live_port(self):
        return next(port for port in self.ports if self.processes[port].poll() is None)

    def slot(self, key):
        return int(self.client(self.live_port()).execute_command("CLUSTER", "KEYSLOT", key))

    def primary_and_replica(self, key):
        slot = self.slot(key)
        for entry in self.slot_ranges():
            if entry[0] <= slot <= entry[1]:
                return entry[2], (entry[3] if len(entry) > 3 else None)
        raise AssertionError(f"no primary serves slot {slot}")

    def is_primary(self, port):
        try:
            role = self.client(port).execute_command("ROLE")
        except redis.RedisError:
            return False
        return role[0] in (b"master", "master")

    def kill(self, port):
        self.processes[port].kill()
        self.processes[port].wait()

    def stop_all(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


CLUSTER = RedisClusterUnderTest()
SEED = CLUSTER.ports[0]


def start_server(server_id):
    port = free_port()
    env = dict(os.environ, PORT=str(port), REDIS_URL=f"redis://127.0.0.1:{SEED}", REDIS_CLUSTER="1", SERVER_ID=server_id,
               RECOVERY_MS="30000", PING_INTERVAL="2000", PING_TIMEOUT="5000")
    process = subprocess.Popen([SERVER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(port)
    return port, process


A_PORT, A = start_server("A")
B_PORT, B = start_server("B")
PORTS = {"A": A_PORT, "B": B_PORT}


async def clients(*specs):
    return await asyncio.gather(*[Client.connect(PORTS[server], (transport,)) for server, transport in specs])


async def close_all(items):
    await asyncio.gather(*[item.close() for item in items], return_exceptions=True)


def room_channel(room):
    return f"socket.io#{NSP}#{room}#"


def room_on_node(primary, prefix):
    """A room name whose own channel's slot the given primary serves."""
    for index in range(10_000):
        room = f"{prefix}-{index}"
        if CLUSTER.primary_and_replica(room_channel(room))[0] == primary:
            return room
    raise AssertionError(f"no room of {prefix} on {primary}")


async def delivered_within(sender, receiver, room, event, seconds=15.0):
    """Emits to the room until the receiver on the other server gets it; the time it took."""
    started = time.time()
    attempt = 0
    while time.time() - started < seconds:
        attempt += 1
        try:
            await asyncio.wait_for(sender.call("emit-to", room, event, attempt), 2)
        except asyncio.TimeoutError:
            pass
        await asyncio.sleep(0.2)
        if receiver.named(event):
            return time.time() - started
    raise AssertionError(f"{event} did not cross the servers within {seconds} s")


@async_check
async def rooms_and_broadcasts_cross_the_servers_exactly_once():
    a1, b1, b2, a2 = await clients(("A", "websocket"), ("B", "polling"), ("B", "websocket"), ("A", "polling"))
    rooms = ["r1", "a-room-with-a-longer-name", "{tagged}"]
    for member in (a1, b1, b2):
        for room in rooms:
            expect_equal(await member.call("join", room), True)
    await asyncio.sleep(0.3)
    for index, room in enumerate(rooms):
        expect_equal(await a2.call("emit-to", room, "hello", index), True)
    for member in (a1, b1, b2):
        await member.wait_for(lambda m=member: len(m.named("hello")) >= len(rooms))
    expect_equal(await a1.call("broadcast", "news", "fresh"), True)
    for member in (a2, b1, b2):
        await member.wait_for(lambda m=member: m.named("news"))
    await asyncio.sleep(0.3)
    for member in (a1, b1, b2):
        expect_equal(sorted(args[0] for args in member.named("hello")), [0, 1, 2])
    expect_equal(a1.named("news"), [])
    await close_all([a1, b1, b2, a2])


@async_check
async def counts_requests_and_binary_reach_every_server():
    members = await clients(("A", "websocket"), ("A", "polling"), ("B", "websocket"))
    for member in members:
        await member.call("join", "counted")
    outsider = (await clients(("B", "polling")))[0]
    expect_equal(await outsider.call("count", "counted"), 3)
    expect_equal(await members[0].call("server-side", {"x": 1}), True)
    await members[2].wait_for(lambda: members[2].named("server-side-seen"))
    payload = bytes(range(256)) * 2
    await outsider.call("emit-to", "counted", "blob", {"bytes": payload})
    await members[0].wait_for(lambda: members[0].named("blob"))
    expect_equal(members[0].named("blob")[0][0]["bytes"], payload)
    expect_equal(await outsider.call("kick", "counted"), True)
    for member in members:
        await member.wait_for(lambda m=member: m.disconnects == 1)
    await close_all(members + [outsider])


@async_check
async def shard_channels_are_followed_on_the_node_that_serves_them():
    if not SHARDED:
        return   # classic pub/sub: any node carries every channel
    a = (await clients(("A", "websocket")))[0]
    room = "followed-room"
    channel = room_channel(room) if SHARDED != "static" else MAIN_CHANNEL
    owner, _ = CLUSTER.primary_and_replica(channel)
    await a.call("join", room)
    await asyncio.sleep(0.5)
    counts = {port: _pairs(CLUSTER.client(port).execute_command("PUBSUB", "SHARDNUMSUB", channel)) for port in CLUSTER.ports}
    expect(counts[owner].get(channel.encode(), 0) >= 1, f"not subscribed on the owner {owner}: {counts}")
    await a.close()
    if channel != MAIN_CHANNEL:
        # The room's last member left: its channel is no longer followed.
        await asyncio.sleep(0.5)
        left = _pairs(CLUSTER.client(owner).execute_command("PUBSUB", "SHARDNUMSUB", channel))
        expect_equal(left.get(channel.encode(), 0), 0)


def _pairs(reply):
    return {reply[i]: reply[i + 1] for i in range(0, len(reply), 2)}


@async_check
async def garbage_on_every_channel_changes_nothing():
    a, b = await clients(("A", "websocket"), ("B", "websocket"))
    await a.call("join", "g")
    await b.call("join", "g")
    channels = [MAIN_CHANNEL, room_channel("g"), f"socket.io-request#{NSP}#", f"socket.io-response#{NSP}#"]
    garbage = [b"", b"\xc1", b"{not json", b'{"type": 99}', b'{"type":2,"data":"x","uid":"u","nsp":"/cluster"}', bytes(range(256))]
    for channel in channels:
        owner, _ = CLUSTER.primary_and_replica(channel)
        for payload in garbage:
            CLUSTER.client(owner).execute_command("SPUBLISH" if SHARDED else "PUBLISH", channel, payload)
    await asyncio.sleep(0.5)
    expect(A.poll() is None and B.poll() is None, "a server died")
    expect_equal(await a.call("emit-to", "g", "still", "fine"), True)
    await b.wait_for(lambda: b.named("still"))
    expect_equal(a.disconnects + b.disconnects, 0)
    await close_all([a, b])


def recover_on_the_other_server():
    client = Raw(A_PORT)
    sid, pid = client.hello["sid"], client.hello["pid"]
    sender = Raw(B_PORT)
    expect_equal(client.call("join", "recovering"), [True])
    time.sleep(0.3)
    expect_equal(sender.call("emit-to", "recovering", "news", 1), [True])
    offset = client.event("news")[1]
    client.close()
    time.sleep(0.3)
    expect_equal(sender.call("emit-to", "recovering", "news", 2), [True])
    expect_equal(sender.call("emit-to", "recovering", "news", 3), [True])
    back = Raw(B_PORT, {"pid": pid, "offset": offset})
    expect_equal(back.hello["sid"], sid)
    expect_equal([back.event("news")[0], back.event("news")[0]], [2, 3])
    back.close()
    sender.close()


@check
def a_client_recovers_on_the_other_server():
    recover_on_the_other_server()


@async_check
async def a_manual_failover_is_followed_with_clients_still_connected():
    primary, replica = CLUSTER.primary_and_replica(MAIN_CHANNEL)
    room = room_on_node(primary, "failover")
    a, b = await clients(("A", "websocket"), ("B", "polling"))
    await b.call("join", room)
    await asyncio.sleep(0.3)
    await delivered_within(a, b, room, "before-failover", 5)
    CLUSTER.client(replica).execute_command("CLUSTER", "FAILOVER")
    deadline = time.time() + 15
    while time.time() < deadline and not CLUSTER.is_primary(replica):
        await asyncio.sleep(0.1)
    expect(CLUSTER.is_primary(replica), f"{replica} did not become a primary")
    took = await delivered_within(a, b, room, "after-failover")
    print(f"     delivery across the servers {took:.2f} s after the failover", flush=True)
    expect_equal(a.disconnects + b.disconnects, 0)
    await close_all([a, b])


@async_check
async def a_killed_primary_is_replaced_with_clients_still_connected():
    # The URL's node, which the servers reached first, dies: its replica takes over.
    victim = SEED if CLUSTER.is_primary(SEED) else CLUSTER.primary_and_replica(MAIN_CHANNEL)[0]
    heir = next(entry[3] for entry in CLUSTER.slot_ranges() if entry[2] == victim)
    room = room_on_node(victim, "killed")
    a, b = await clients(("A", "polling"), ("B", "websocket"))
    await b.call("join", room)
    await a.call("join", room)
    await asyncio.sleep(0.3)
    await delivered_within(a, b, room, "before-kill", 5)
    CLUSTER.kill(victim)
    killed_at = time.time()
    took = await delivered_within(a, b, room, "after-kill", 20)
    print(f"     delivery across the servers {time.time() - killed_at:.2f} s after the kill", flush=True)
    expect(took < 20, "too slow")
    # The cluster promotes the replica (its node timeout is 1 s); the keys of that node's
    # slots are served again from then on.
    deadline = time.time() + 15
    while time.time() < deadline and not CLUSTER.is_primary(heir):
        await asyncio.sleep(0.1)
    expect(CLUSTER.is_primary(heir), f"{heir} was not promoted")
    print(f"     the replica was promoted {time.time() - killed_at:.2f} s after the kill", flush=True)
    await delivered_within(b, a, room, "after-promotion", 15)
    expect_equal(a.disconnects + b.disconnects, 0)
    expect(A.poll() is None and B.poll() is None, "a server died")
    await close_all([a, b])


@check
def recovery_still_works_after_the_failovers():
    recover_on_the_other_server()


@check
def a_redis_that_is_no_cluster_node_is_refused_at_start():
    port = free_port()
    plain = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        env = dict(os.environ, PORT=str(free_port()), REDIS_URL=f"redis://127.0.0.1:{port}", REDIS_CLUSTER="1", SERVER_ID="C")
        result = subprocess.run([SERVER], env=env, capture_output=True, timeout=20)
        expect(result.returncode != 0, "the server started on a Redis that is no cluster node")
        expect(b"is not a Redis Cluster node" in result.stderr, result.stderr.decode()[-500:])
    finally:
        plain.kill()
        plain.wait()


try:
    run(per_check_timeout=60)
finally:
    for process in (A, B):
        if process.poll() is None:
            process.kill()
        process.wait()
    CLUSTER.stop_all()
