"""Presence, expiring credentials and room history (section 16 of the contract: the /live
namespace), with python-socketio clients, in one of three modes:

  single    one conformance server
  workers   one server with WORKERS=2 (a user's sockets on both workers)
  cluster   two servers on one redis-server (a user's sockets on both servers)

In every mode: a user with two sockets arrives once and leaves with the last one; members
are unique and sorted; history replays in order, with a gap notice once older messages are
dropped (HISTORY_LIMIT=5), and numbers are per room across the servers; credentials warn,
refresh (a refusal keeps the old expiry) and expire with a disconnect from /live. With
workers and a cluster: a killed worker's or server's users leave within two ping intervals
plus the ping timeout. With a cluster: Redis killed and restarted, each server goes on alone
and presence agrees again afterwards.

With CLIENT=browser (and CHROMIUM, /usr/bin/chromium by default), every check runs with the
official JavaScript client in headless Chromium instead (live_browser.py).

Usage: live_checks.py MODE SERVER_BINARY [REDIS_SERVER]
Prints 'N passed, M failed'.
"""
import asyncio
import os
import signal
import subprocess
import sys
import time

import socketio

from checklib import async_check, expect, expect_equal, free_port, run, wait_for_port, wait_until

MODE, SERVER = sys.argv[1:3]
REDIS_SERVER = sys.argv[3] if len(sys.argv) > 3 else None
NSP = "/live"
PING_INTERVAL, PING_TIMEOUT = 500, 1000
PROCESSES = []


def start_server(server_id, extra=None):
    port = free_port()
    env = dict(os.environ, PORT=str(port), SERVER_ID=server_id, HISTORY_LIMIT="5", PING_INTERVAL=str(PING_INTERVAL),
               PING_TIMEOUT=str(PING_TIMEOUT), **(extra or {}))
    process = subprocess.Popen([SERVER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCESSES.append(process)
    wait_for_port(port)
    return port, process


REDIS_URL = None
REDIS = []   # the redis-server process of cluster mode


def start_redis(port):
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCESSES.append(process)
    wait_for_port(port)
    return process


if MODE == "cluster":
    redis_port = free_port()
    REDIS.append(start_redis(redis_port))
    REDIS_URL = f"redis://127.0.0.1:{redis_port}"
    A_PORT, A = start_server("A", {"REDIS_URL": REDIS_URL})
    B_PORT, B = start_server("B", {"REDIS_URL": REDIS_URL})
elif MODE == "workers":
    A_PORT, A = start_server("W", {"WORKERS": "2"})
    B_PORT, B = A_PORT, A
else:
    A_PORT, A = start_server("S")
    B_PORT, B = A_PORT, A
time.sleep(0.5 if MODE == "single" else 1.5)   # the servers (or workers) hear each other


class PythonLive:
    """A python-socketio client on /live that records every event it gets."""

    def __init__(self):
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events = []
        self.disconnected = False
        self.changed = asyncio.Event()

        async def any_event(event, *args):
            self.events.append((event, list(args)))
            self.changed.set()

        async def gone(*_):
            self.disconnected = True
            self.changed.set()

        self.sio.on("*", any_event, namespace=NSP)
        self.sio.on("disconnect", gone, namespace=NSP)

    @classmethod
    async def attempt(cls, port, auth):
        client = cls()
        await client.sio.connect(f"http://127.0.0.1:{port}", namespaces=[NSP], transports=["websocket"], auth=auth,
                                 wait_timeout=5)
        return client, client.sio.get_sid(NSP)

    @classmethod
    async def refusal(cls, port, auth):
        """What a refused connection says (`{"message": …}`)."""
        sio = socketio.AsyncClient(reconnection=False)
        refusals = []

        async def refused(data):
            refusals.append(data)

        sio.on("connect_error", refused, namespace=NSP)
        try:
            await sio.connect(f"http://127.0.0.1:{port}", namespaces=[NSP], transports=["websocket"], auth=auth, wait_timeout=5)
            raise AssertionError("connected")
        except socketio.exceptions.ConnectionError:
            pass
        finally:
            await sio.disconnect()
        expect_equal(len(refusals), 1)
        return refusals[0]

    async def call(self, event, *args):
        return await self.sio.call(event, args if len(args) != 1 else args[0], namespace=NSP, timeout=5)

    def named(self, event):
        return [args[0] if len(args) == 1 else args for name, args in self.events if name == event]

    async def wait_for(self, predicate, timeout=5.0):
        await wait_until(predicate, self.changed, timeout, lambda: f"got {self.events[-6:]}")

    async def close(self):
        await self.sio.disconnect()


class BrowserClientOnLive:
    """The official JavaScript client on /live (live_browser.py)."""

    @classmethod
    async def attempt(cls, port, auth):
        answer = BrowserLive.attempt(port, NSP, auth)
        expect("error" not in answer, f"refused: {answer}")
        return BrowserLive(answer["id"], answer["sid"]), answer["sid"]

    @classmethod
    async def refusal(cls, port, auth):
        return await BrowserLive.refusal(port, NSP, auth)


BROWSER = os.environ.get("CLIENT") == "browser"
if BROWSER:
    from live_browser import BrowserLive
CLIENT_KIND = BrowserClientOnLive if BROWSER else PythonLive


class Live:
    """A client of /live: python-socketio's, or with CLIENT=browser the official JavaScript client's."""

    @staticmethod
    async def connect(port, user, expires=None, worker=None):
        """A client of `user`; with workers, on worker `worker` (its sid names it)."""
        auth = {"user": user}
        if expires is not None:
            auth["expiresInMs"] = expires
        for _ in range(60):
            client, sid = await CLIENT_KIND.attempt(port, auth)
            if worker is None or MODE != "workers" or sid.startswith(["AA", "AB"][worker]):
                return client
            await client.close()
        raise AssertionError(f"no client reached worker {worker}")


def presence(client, room):
    return [(p["user"], p["state"]) for p in client.named("presence") if p["room"] == room]


@async_check
async def connecting_without_a_user_is_refused():
    expect_equal(await CLIENT_KIND.refusal(A_PORT, {}), {"message": "user required"})


@async_check
async def a_user_with_two_sockets_arrives_once_and_leaves_with_the_last():
    room = f"p-{MODE}"
    ann1 = await Live.connect(A_PORT, "ann", worker=0)
    ann2 = await Live.connect(B_PORT, "ann", worker=1)
    bob = await Live.connect(B_PORT, "bob", worker=0)
    expect_equal(await ann1.call("join", room), True)
    await ann1.wait_for(lambda: presence(ann1, room) == [("ann", "join")])
    expect_equal(await bob.call("join", room), True)
    await ann1.wait_for(lambda: ("bob", "join") in presence(ann1, room))
    await bob.wait_for(lambda: ("bob", "join") in presence(bob, room))
    expect_equal(await ann2.call("join", room), True)   # ann is there already: no event
    await asyncio.sleep(0.4)
    expect_equal(await bob.call("members", room), ["ann", "bob"])
    expect_equal(await ann2.call("members", room), ["ann", "bob"])
    expect_equal(await ann1.call("leave", room), True)   # ann2 stays
    await asyncio.sleep(0.4)
    expect_equal(presence(bob, room), [("bob", "join")])
    await ann2.close()   # the last of ann's sockets
    await bob.wait_for(lambda: ("ann", "leave") in presence(bob, room))
    expect_equal(await bob.call("members", room), ["bob"])
    expect_equal(presence(bob, room), [("bob", "join"), ("ann", "leave")])
    await ann1.close()
    await bob.close()


@async_check
async def history_replays_in_order_with_a_gap_once_older_messages_are_dropped():
    room = f"h-{MODE}"
    speaker = await Live.connect(A_PORT, "sam", worker=0)
    other = await Live.connect(B_PORT, "oli", worker=1)
    seqs = []
    for index in range(3):
        seqs.append(await (speaker if index % 2 == 0 else other).call("say", room, f"m{index}"))
    expect_equal(seqs, [1, 2, 3])
    late = await Live.connect(B_PORT, "lea", worker=1)
    expect_equal(await late.call("join", room), True)
    expect_equal([m["text"] for m in late.named("said")], ["m0", "m1", "m2"])
    expect_equal(late.named("history_gap"), [])
    expect_equal(late.named("said")[0], {"room": room, "user": "sam", "text": "m0", "seq": 1})
    # The room gets its own messages live, with their numbers.
    seq = await speaker.call("say", room, "live")
    expect_equal(seq, 4)
    await late.wait_for(lambda: any(m["text"] == "live" for m in late.named("said")))
    for index in range(4):
        await other.call("say", room, f"n{index}")
    # 8 messages, 5 kept: 4..8, and the gap 1..3 first.
    latest = await Live.connect(A_PORT, "lou", worker=0)
    expect_equal(await latest.call("join", room), True)
    names = [name for name, _ in latest.events if name in ("history_gap", "said")]
    expect_equal(names[0], "history_gap")
    expect_equal(latest.named("history_gap"), [{"room": room, "from": 1, "to": 3}])
    expect_equal([m["seq"] for m in latest.named("said")], [4, 5, 6, 7, 8])
    for client in (speaker, other, late, latest):
        await client.close()


@async_check
async def credentials_warn_refresh_and_expire():
    # 1,600 ms: the warning at max(600, 800) = 800 ms with about 800 left.
    refreshed = await Live.connect(A_PORT, "rita", expires=1600, worker=0)
    lapsing = await Live.connect(B_PORT, "lars", expires=1600, worker=1)
    started = time.time()
    await refreshed.wait_for(lambda: refreshed.named("credentials_expiring"))
    warned = time.time() - started
    expect(0.5 < warned < 1.3, f"warned after {warned:.2f} s")
    left = refreshed.named("credentials_expiring")[0]["inMs"]
    expect(500 <= left <= 1100, f"inMs {left}")
    expect_equal(await refreshed.call("refresh", "not a number"), False)   # refused: the old expiry stands
    expect_equal(await refreshed.call("refresh", 4000), True)
    await lapsing.wait_for(lambda: lapsing.named("credentials_expired"), timeout=5)
    expired = time.time() - started
    expect(1.3 < expired < 2.5, f"expired after {expired:.2f} s")
    expect_equal(lapsing.named("credentials_expired"), [{}])
    await lapsing.wait_for(lambda: lapsing.disconnected)
    await asyncio.sleep(0.5)   # past the first expiry: the refresh holds
    expect(not refreshed.disconnected, "refreshed credentials expired")
    expect_equal(await refreshed.call("members", "nowhere"), [])
    await refreshed.wait_for(lambda: refreshed.named("credentials_expired"), timeout=6)   # the new expiry, 4 s after the refresh
    await refreshed.wait_for(lambda: refreshed.disconnected)


@async_check
async def a_dead_servers_users_leave_within_two_intervals_and_the_timeout():
    if MODE == "single":
        return
    room = f"k-{MODE}"
    watcher = await Live.connect(A_PORT, "wendy", worker=0)
    expect_equal(await watcher.call("join", room), True)
    if MODE == "cluster":
        victim_port, victim = start_server("C", {"REDIS_URL": REDIS_URL})
        await asyncio.sleep(1.0)
        doomed = await Live.connect(victim_port, "carl")
    else:
        doomed = await Live.connect(A_PORT, "carl", worker=1)
        victim = None
    expect_equal(await doomed.call("join", room), True)
    await watcher.wait_for(lambda: ("carl", "join") in presence(watcher, room))
    if victim is not None:
        victim.kill()
    else:
        os.kill(worker_pid(A, 1), signal.SIGKILL)
    killed = time.time()
    await watcher.wait_for(lambda: ("carl", "leave") in presence(watcher, room), timeout=8)
    took = time.time() - killed
    print(f"     carl left {took:.2f} s after his {'server' if victim else 'worker'} was killed", flush=True)
    limit = (2 * PING_INTERVAL + PING_TIMEOUT) / 1000 + 1.0   # plus one heartbeat and slack
    expect(took <= limit, f"{took:.2f} s > {limit} s")
    expect_equal(await watcher.call("members", room), ["wendy"])
    await watcher.close()


@async_check
async def a_redis_outage_degrades_to_each_server_and_heals():
    """Without Redis each server goes on alone: messages are numbered, kept and delivered on
    the speaker's server, presence changes stay local; once Redis is back, the servers'
    presence agrees again by itself (heartbeats notice the difference and ask for it)."""
    if MODE != "cluster":
        return
    room = "outage"
    a_member = await Live.connect(A_PORT, "ada")
    b_member = await Live.connect(B_PORT, "ben")
    for client in (a_member, b_member):
        expect_equal(await client.call("join", room), True)
    await a_member.wait_for(lambda: ("ben", "join") in presence(a_member, room))
    REDIS[0].kill()
    REDIS[0].wait()
    await asyncio.sleep(0.5)
    seq = await a_member.call("say", room, "alone")
    expect(isinstance(seq, int) and seq >= 1, f"no number without Redis: {seq}")
    await a_member.wait_for(lambda: any(m["text"] == "alone" for m in a_member.named("said")))
    newcomer = await Live.connect(B_PORT, "nia")
    expect_equal(await newcomer.call("join", room), True)   # B alone knows, for now
    await asyncio.sleep(0.3)
    expect_equal(await a_member.call("members", room), ["ada", "ben"])
    REDIS[0] = start_redis(int(REDIS_URL.rsplit(":", 1)[1]))
    healed_at = time.time()
    await a_member.wait_for(lambda: ("nia", "join") in presence(a_member, room), timeout=15)
    print(f"     presence agreed again {time.time() - healed_at:.2f} s after Redis came back", flush=True)
    expect_equal(await a_member.call("members", room), ["ada", "ben", "nia"])
    expect(not a_member.disconnected and not b_member.disconnected, "a client was dropped during the outage")
    for client in (a_member, b_member, newcomer):
        await client.close()


def worker_pid(supervisor, index):
    children = subprocess.run(["pgrep", "-P", str(supervisor.pid)], capture_output=True, text=True).stdout
    for line in children.split():
        environ = open(f"/proc/{line}/environ", "rb").read().split(b"\0")
        if f"FLAGON_WORKER_INDEX={index}".encode() in environ:
            return int(line)
    raise AssertionError(f"no worker {index}")


try:
    if BROWSER:
        BrowserLive.open_page(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    run(per_check_timeout=40)
finally:
    if BROWSER:
        BrowserLive.close_page()
    for process in PROCESSES:
        if process.poll() is None:
            process.kill()
        process.wait()
