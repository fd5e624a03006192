"""Admin UI checks: python-socketio clients play the part of the official Socket.IO admin UI
(@socket.io/admin-ui) against conformance servers instrumented with ADMIN_AUTH: login and
sessions, config, all_sockets, server_stats every 2 s with aggregated events, socket and
room events with their timestamps, the UI's actions, read-only and production modes, and
(when redis-server is given) two servers whose statistics and sockets reach one UI.

Usage: admin_checks.py SERVER_BINARY [REDIS_SERVER]
Prints 'N passed, M failed'.
"""
import asyncio
import json
import os
import re
import subprocess
import sys
import time

import aiohttp
import socketio

from checklib import async_check, check, expect, expect_equal, free_port, run, wait_for_port, wait_until

SERVER = sys.argv[1]
REDIS_SERVER = sys.argv[2] if len(sys.argv) > 2 else None
ADMIN = "/admin-ui"
CREDENTIALS = {"username": "admin", "password": "s3cret"}
# 16 random bytes in hex; with several workers (WORKERS), 2 more bytes name the worker that keeps it.
SESSION_ID = r"(?:[0-9a-f]{4})?[0-9a-f]{32}" if os.environ.get("WORKERS") else r"[0-9a-f]{32}"
ALL_FEATURES = ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS", "ALL_EVENTS"]
STATS_KEYS = ["serverId", "hostname", "pid", "uptime", "clientsCount", "pollingClientsCount", "aggregatedEvents", "namespaces"]
SOCKET_KEYS = ["id", "clientId", "transport", "nsp", "data", "handshake", "rooms"]
HANDSHAKE_KEYS = ["address", "headers", "query", "issued", "secure", "time", "url", "xdomain"]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PROCESSES = []


def start_server(extra):
    port = free_port()
    env = dict(os.environ, PORT=str(port), PING_INTERVAL="2000", PING_TIMEOUT="5000", **extra)
    process = subprocess.Popen([SERVER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCESSES.append(process)
    wait_for_port(port)
    return port


DEV = start_server({"ADMIN_AUTH": "admin:s3cret", "SERVER_ID": "dev-1"})
READ_ONLY = start_server({"ADMIN_AUTH": "none", "ADMIN_READONLY": "1"})
PRODUCTION = start_server({"ADMIN_AUTH": "admin:s3cret", "ADMIN_MODE": "production"})
# The password as Node's admin-ui configuration gives it: a bcrypt hash (of "s3cret", cost 4).
S3CRET_HASH = "$2b$04$AdminUiConformanceSalen75n9OB2xokLQ67DNZ3.pLWdeEjr.Hy"
HASHED = start_server({"ADMIN_AUTH": "admin:" + S3CRET_HASH})


class Peer:
    """A python-socketio client on one namespace that records every event it gets."""

    def __init__(self, sio, namespace):
        self.sio = sio
        self.namespace = namespace
        self.events = []
        self.refusal = None
        self.disconnected = False
        self.changed = asyncio.Event()

    @classmethod
    async def connect(cls, port, namespace, auth=None, transports=("websocket",), headers=None):
        sio = socketio.AsyncClient(reconnection=False)
        peer = cls(sio, namespace)

        async def any_event(event, *args):
            peer.events.append((event, list(args)))
            peer.changed.set()

        async def refused(data):
            peer.refusal = data
            peer.changed.set()

        async def gone(*_):
            peer.disconnected = True
            peer.changed.set()

        sio.on("*", any_event, namespace=namespace)
        sio.on("connect_error", refused, namespace=namespace)
        sio.on("disconnect", gone, namespace=namespace)
        try:
            await sio.connect(f"http://127.0.0.1:{port}", namespaces=[namespace], auth=auth, transports=list(transports),
                              headers=headers or {}, wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            pass
        return peer

    @property
    def sid(self):
        return self.sio.get_sid(self.namespace)

    def named(self, event):
        return [args for name, args in self.events if name == event]

    async def wait_for(self, predicate, timeout=6.0):
        await wait_until(predicate, self.changed, timeout, lambda: f"last events {self.events[-6:]}")

    async def first(self, event, where=lambda args: True, timeout=6.0):
        await self.wait_for(lambda: any(where(args) for args in self.named(event)), timeout)
        return next(args for args in self.named(event) if where(args))

    async def emit(self, event, *args):
        await self.sio.emit(event, args, namespace=self.namespace)

    async def call(self, event, *args):
        return await self.sio.call(event, args if len(args) != 1 else args[0], namespace=self.namespace, timeout=5)

    async def close(self):
        await self.sio.disconnect()


async def admin(port, auth=CREDENTIALS):
    return await Peer.connect(port, ADMIN, auth=auth)


def expect_recent(timestamp):
    expect(TIMESTAMP.match(timestamp) is not None, f"not an ISO 8601 UTC time: {timestamp!r}")
    when = time.mktime(time.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    expect(abs(when - time.time()) < 10, f"{timestamp} is not now")


@async_check
async def wrong_or_missing_credentials_are_refused():
    for auth in ({"username": "admin", "password": "wrong"}, {"username": "root", "password": "s3cret"}, None, {"sessionId": "0" * 16}):
        peer = await admin(DEV, auth)
        await peer.wait_for(lambda: peer.refusal is not None)
        expect_equal(peer.refusal, {"message": "invalid credentials"})
        expect(not peer.sio.connected or ADMIN not in peer.sio.namespaces, "refused admin is connected")
        await peer.close()


@async_check
async def login_sends_session_config_and_every_socket():
    user = await Peer.connect(DEV, "/chat")
    ui = await admin(DEV)
    await ui.wait_for(lambda: ui.named("all_sockets"))
    names = [name for name, _ in ui.events if name in ("session", "config", "all_sockets")]
    expect_equal(names, ["session", "config", "all_sockets"])
    session = ui.named("session")[0][0]
    expect(re.fullmatch(SESSION_ID, session) is not None, f"session id {session!r}")
    expect_equal(ui.named("config")[0], [{"supportedFeatures": ALL_FEATURES}])
    sockets = ui.named("all_sockets")[0][0]
    mine = [s for s in sockets if s["id"] == user.sid]
    expect_equal(len(mine), 1)
    described = mine[0]
    expect_equal(list(described.keys()), SOCKET_KEYS)
    expect_equal(list(described["handshake"].keys()), HANDSHAKE_KEYS)
    expect_equal((described["nsp"], described["transport"], described["data"], described["rooms"]),
                 ("/chat", "websocket", {}, [user.sid]))
    expect_equal(described["clientId"], user.sio.eio.sid[:12])
    expect_equal(described["handshake"]["address"], "127.0.0.1")
    expect_equal(described["handshake"]["query"]["transport"], "websocket")
    expect(described["handshake"]["url"].startswith("/socket.io/?"), described["handshake"]["url"])
    expect(isinstance(described["handshake"]["issued"], int), "issued is not a number")
    expect(any(s["id"] == ui.sid and s["nsp"] == ADMIN for s in sockets), "the UI's own socket is missing")
    # The session id logs in again without the password, and gets no new session.
    again = await admin(DEV, {"sessionId": session})
    await again.wait_for(lambda: again.named("config"))
    expect_equal(again.named("session"), [])
    await asyncio.gather(user.close(), ui.close(), again.close())


@async_check
async def a_bcrypt_hash_configured_logs_in_with_the_password():
    ui = await admin(HASHED)
    await ui.wait_for(lambda: ui.named("all_sockets"))
    expect(re.fullmatch(SESSION_ID, ui.named("session")[0][0]) is not None, "no session")
    for auth in ({"username": "admin", "password": S3CRET_HASH}, {"username": "admin", "password": "s3cre"}):
        refused = await admin(HASHED, auth)
        await refused.wait_for(lambda: refused.refusal is not None)
        expect_equal(refused.refusal, {"message": "invalid credentials"})
        await refused.close()
    await ui.close()


@async_check
async def a_spoofed_forwarded_for_is_not_the_address_shown():
    """The UI shows the handshake's address: the peer's, or the client a trusted proxy names
    (TRUSTED_PROXIES); headers from anyone else change nothing."""
    ui = await admin(DEV)
    await ui.wait_for(lambda: ui.named("config"))
    user = await Peer.connect(DEV, "/chat", headers={"X-Forwarded-For": "6.6.6.6", "CF-Connecting-IP": "7.7.7.7"})
    connected = await ui.first("socket_connected", lambda a: a[0]["id"] == user.sid)
    expect_equal(connected[0]["handshake"]["address"], "127.0.0.1")
    await asyncio.gather(user.close(), ui.close())


@async_check
async def what_each_ui_version_reads_is_there():
    """The admin UI's web app of 0.2 to 0.5 each read a subset of what the server sends (later
    versions added fields and events that earlier ones ignore): 0.2 the sockets with their
    handshakes and rooms, stats with uptime and clients; 0.3 adds socket data; 0.4 and 0.5 add
    polling clients, aggregated events, namespaces, events sent and received, timestamps."""
    reads = {
        "0.2": {"stats": ["serverId", "hostname", "pid", "uptime", "clientsCount"],
                "socket": ["id", "clientId", "transport", "nsp", "handshake", "rooms"],
                "features": ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"]},
        "0.3": {"stats": ["serverId", "hostname", "pid", "uptime", "clientsCount"],
                "socket": ["id", "clientId", "transport", "nsp", "data", "handshake", "rooms"],
                "features": ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"]},
        "0.4": {"stats": STATS_KEYS, "socket": SOCKET_KEYS, "features": ALL_FEATURES},
        "0.5": {"stats": STATS_KEYS, "socket": SOCKET_KEYS, "features": ALL_FEATURES},
    }
    user = await Peer.connect(DEV, "/chat")
    ui = await admin(DEV)
    await ui.wait_for(lambda: ui.named("all_sockets") and ui.named("server_stats"))
    stats = ui.named("server_stats")[-1][0]
    described = next(s for s in ui.named("all_sockets")[0][0] if s["id"] == user.sid)
    features = ui.named("config")[0][0]["supportedFeatures"]
    for version, fields in reads.items():
        expect(all(key in stats for key in fields["stats"]), f"{version}: stats lack {fields['stats']}")
        expect(all(key in described for key in fields["socket"]), f"{version}: sockets lack {fields['socket']}")
        expect(all(key in described["handshake"] for key in HANDSHAKE_KEYS), f"{version}: handshakes lack fields")
        expect(all(feature in features for feature in fields["features"]), f"{version}: features lack {fields['features']}")
    # The events every version listens to, with the arguments in the places 0.2 reads them
    # (later versions read a timestamp after them).
    await user.close()
    gone = await ui.first("socket_disconnected", lambda a: a[1] == described["id"])
    expect_equal(gone[0], "/chat")
    left = await ui.first("room_left", lambda a: a[2] == described["id"])
    expect_equal(left[:2], ["/chat", described["id"]])
    await ui.close()


@async_check
async def the_login_on_the_wire_byte_for_byte():
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"ws://127.0.0.1:{DEV}/socket.io/?EIO=4&transport=websocket")
        expect((await ws.receive(timeout=5)).data.startswith('0{"sid":'), "no open packet")
        await ws.send_str('40/admin-ui,{"username":"admin","password":"s3cret"}')
        frames = []
        while len(frames) < 5:
            message = await ws.receive(timeout=5)
            if message.data != "2":
                frames.append(message.data)
        connect = re.fullmatch(r'40/admin-ui,\{"sid":"([A-Za-z0-9_-]{27,})"\}', frames[0])
        expect(connect is not None, frames[0])
        sid = connect.group(1)
        expect(re.fullmatch(r'42/admin-ui,\["session","' + SESSION_ID + r'"\]', frames[1]) is not None, frames[1])
        expect_equal(frames[2], '42/admin-ui,["config",{"supportedFeatures":["EMIT","JOIN","LEAVE","DISCONNECT","MJOIN",'
                                '"MLEAVE","MDISCONNECT","AGGREGATED_EVENTS","ALL_EVENTS"]}]')
        timestamp = r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"'
        expect(re.fullmatch(rf'42/admin-ui,\["room_joined","/admin-ui","{sid}","{sid}",{timestamp}\]', frames[3]) is not None,
               frames[3])
        expect(re.fullmatch(rf'42/admin-ui,\["socket_connected",\{{"id":"{sid}","clientId":"[A-Za-z0-9_-]{{12}}",'
                            rf'"transport":"websocket","nsp":"/admin-ui","data":\{{\}},"handshake":\{{"address":"127.0.0.1",'
                            rf'"headers":\{{.*\}},"query":\{{.*\}},"issued":\d+,"secure":false,"time":"[^"]+","url":"/socket.io/\?[^"]*",'
                            rf'"xdomain":(true|false)\}},"rooms":\["{sid}"\]\}},{timestamp}\]', frames[4]) is not None, frames[4])
        stats = None
        while stats is None:
            message = await ws.receive(timeout=5)
            if message.data.startswith('42/admin-ui,["server_stats"'):
                stats = message.data
        expect(re.fullmatch(r'42/admin-ui,\["server_stats",\{"serverId":"dev-1(#\d+)?","hostname":"[^"]+","pid":\d+,"uptime":[\d.]+,'
                            r'"clientsCount":\d+,"pollingClientsCount":\d+,"aggregatedEvents":\[.*\],'
                            r'"namespaces":\[\{"name":"/","socketsCount":\d+\},.*\]\}\]', stats) is not None, stats)
        await ws.close()


@async_check
async def server_stats_every_two_seconds_with_every_namespace():
    ui = await admin(DEV)

    def own():
        """The reports of the UI's own server (with WORKERS, each worker reports; the UI is counted by its own)."""
        return [args[0] for args in ui.named("server_stats")
                if any(n["name"] == ADMIN and n["socketsCount"] >= 1 for n in args[0]["namespaces"])]

    await ui.wait_for(lambda: len(own()) >= 2, timeout=7)
    first_seen = time.time()
    await ui.wait_for(lambda: len(own()) >= 3, timeout=4)
    gap = time.time() - first_seen
    expect(1.0 < gap < 3.5, f"{gap:.2f} s between reports")
    stats = own()[-1]
    expect_equal(list(stats.keys()), STATS_KEYS)
    expect_equal(stats["serverId"].split("#")[0], "dev-1")
    expect(isinstance(stats["pid"], int) and stats["pid"] > 0, "pid")
    expect(stats["uptime"] > own()[0]["uptime"], "uptime does not grow")
    expect(stats["clientsCount"] >= 1, "clientsCount")
    names = [n["name"] for n in stats["namespaces"]]
    for name in ("/", "/admin", ADMIN, "/chat", "/cluster"):
        expect(name in names, f"{name} missing from {names}")
    counts = {n["name"]: n["socketsCount"] for n in stats["namespaces"]}
    expect(counts[ADMIN] >= 1, "the UI is not counted")
    await ui.close()


async def raw_polling_session(http, port, namespace="/"):
    """An Engine.IO session opened on long-polling, connected to `namespace`: (engine sid, socket sid)."""
    base = f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling"
    async with http.get(base) as response:
        open_packet = json.loads((await response.text())[1:])
    sid = open_packet["sid"]
    async with http.post(f"{base}&sid={sid}", data=f"40{namespace},{{}}" if namespace != "/" else "40") as response:
        expect_equal(response.status, 200)
    async with http.get(f"{base}&sid={sid}") as response:
        body = await response.text()
    connect = next(p for p in body.split("\x1e") if p.startswith("40"))
    return sid, json.loads(connect[connect.index("{"):])["sid"]


@async_check
async def socket_connected_upgraded_and_disconnected_with_their_rooms():
    ui = await admin(DEV)
    await ui.wait_for(lambda: ui.named("config"))
    async with aiohttp.ClientSession() as http:
        engine_sid, sid = await raw_polling_session(http, DEV)
        connected = await ui.first("socket_connected", lambda a: a[0]["id"] == sid)
        expect_equal(len(connected), 2)
        expect_equal((connected[0]["nsp"], connected[0]["transport"], connected[0]["clientId"]), ("/", "polling", engine_sid[:12]))
        expect_recent(connected[1])
        joined = await ui.first("room_joined", lambda a: a[2] == sid)
        expect_equal(joined[:3], ["/", sid, sid])
        expect_recent(joined[3])
        stats = await ui.first("server_stats", lambda a: a[0]["pollingClientsCount"] >= 1, timeout=5)
        expect(stats[0]["pollingClientsCount"] >= 1, "polling session not counted")
        ws = await http.ws_connect(f"ws://127.0.0.1:{DEV}/socket.io/?EIO=4&transport=websocket&sid={engine_sid}")
        await ws.send_str("2probe")
        expect_equal((await ws.receive(timeout=5)).data, "3probe")
        await ws.send_str("5")
        updated = await ui.first("socket_updated", lambda a: a[0].get("id") == sid)
        expect_equal(updated, [{"id": sid, "nsp": "/", "transport": "websocket"}])
        await ws.send_str("41")
        gone = await ui.first("socket_disconnected", lambda a: a[1] == sid)
        expect_equal(gone[:3], ["/", sid, "client namespace disconnect"])
        expect_recent(gone[3])
        left = await ui.first("room_left", lambda a: a[2] == sid)
        expect_equal(left[:3], ["/", sid, sid])
        await ws.close()
    await ui.close()


@async_check
async def events_received_and_sent_are_reported():
    ui = await admin(DEV)
    await ui.wait_for(lambda: ui.named("config"))
    user = await Peer.connect(DEV, "/", auth={"token": "t"})
    sent_auth = await ui.first("event_sent", lambda a: a[1] == user.sid and a[2][0] == "auth")
    expect_equal(sent_auth[:3], ["/", user.sid, ["auth", {"token": "t"}]])
    await user.emit("message", "hi", {"n": 1}, b"\x00\x01")
    received = await ui.first("event_received", lambda a: a[1] == user.sid)
    expect_equal(received[:3], ["/", user.sid, ["message", "hi", {"n": 1}, b"\x00\x01"]])
    expect_recent(received[3])
    sent = await ui.first("event_sent", lambda a: a[1] == user.sid and a[2][0] == "message-back")
    expect_equal(sent[2], ["message-back", "hi", {"n": 1}, b"\x00\x01"])
    # The UI's own traffic is never reported (it would report itself without end).
    expect(all(a[0] != ADMIN for a in ui.named("event_received") + ui.named("event_sent")), "admin traffic reported")
    await asyncio.gather(user.close(), ui.close())


@async_check
async def actions_join_emit_leave_and_disconnect():
    ui = await admin(DEV)
    await ui.wait_for(lambda: ui.named("config"))
    member, other = await asyncio.gather(Peer.connect(DEV, "/chat"), Peer.connect(DEV, "/chat", transports=("polling",)))
    await ui.emit("join", "/chat", "vip", member.sid)
    joined = await ui.first("room_joined", lambda a: a[1] == "vip")
    expect_equal(joined[:3], ["/chat", "vip", member.sid])
    expect_equal(await member.call("rooms"), ["vip"])
    expect_equal(await other.call("rooms"), [])
    await ui.emit("emit", "/chat", "vip", "news", "hello", 1)
    expect_equal(await member.first("news"), ["hello", 1])
    await ui.emit("emit", "/chat", None, "everyone", "x")
    await member.first("everyone")
    await other.first("everyone")
    expect_equal(other.named("news"), [])
    await ui.emit("leave", "/chat", "vip", member.sid)
    left = await ui.first("room_left", lambda a: a[1] == "vip")
    expect_equal(left[:3], ["/chat", "vip", member.sid])
    expect_equal(await member.call("rooms"), [])
    # Without a filter, every socket of the namespace joins (MJOIN).
    await ui.emit("join", "/chat", "all-of-them")
    await ui.wait_for(lambda: len([a for a in ui.named("room_joined") if a[1] == "all-of-them"]) >= 2)
    expect_equal(await other.call("rooms"), ["all-of-them"])
    member_sid = member.sid
    await ui.emit("_disconnect", "/chat", False, member_sid)
    await member.wait_for(lambda: member.disconnected)
    gone = await ui.first("socket_disconnected", lambda a: a[1] == member_sid)
    expect_equal(gone[:3], ["/chat", member_sid, "server namespace disconnect"])
    await asyncio.sleep(0.3)
    expect(not other.disconnected, "the other socket was disconnected too")
    await asyncio.gather(member.close(), other.close(), ui.close())


@async_check
async def data_changes_reach_the_ui_without_the_admin_fields():
    ui = await admin(DEV)
    await ui.wait_for(lambda: ui.named("config"))
    user = await Peer.connect(DEV, "/cluster")
    expect_equal(await user.call("set-data", {"name": "ann"}), True)
    updated = await ui.first("socket_updated", lambda a: a[0].get("id") == user.sid)
    expect_equal(updated, [{"id": user.sid, "nsp": "/cluster", "data": {"name": "ann"}}])
    later = await admin(DEV)
    await later.wait_for(lambda: later.named("all_sockets"))
    described = next(s for s in later.named("all_sockets")[0][0] if s["id"] == user.sid)
    expect_equal(described["data"], {"name": "ann"})
    await asyncio.gather(user.close(), ui.close(), later.close())


@async_check
async def aggregated_events_count_connections_packets_and_bytes():
    ui = await admin(DEV)
    await ui.first("server_stats")
    reports_before = len(ui.named("server_stats"))
    users = await asyncio.gather(*[Peer.connect(DEV, "/") for _ in range(3)])
    for user in users:
        await user.emit("message", "x" * 100)
    await asyncio.gather(*[user.close() for user in users])
    # Each worker reports its own events every two seconds: wait until the reports hold
    # everything the users did (two reports may both come from before the last emit).

    def count_events():
        counted = {}
        for (stats,) in ui.named("server_stats")[reports_before:]:
            for event in stats["aggregatedEvents"]:
                expect(set(event.keys()) in ({"timestamp", "type", "count"}, {"timestamp", "type", "subType", "count"}), str(event))
                expect_equal(event["timestamp"] % 1000, 0)
                key = event["type"] + ("/" + event["subType"] if "subType" in event else "")
                counted[key] = counted.get(key, 0) + event["count"]
        return counted

    def complete(counted):
        return (counted.get("rawConnection", 0) >= 3
                and sum(v for k, v in counted.items() if k.startswith("rawDisconnection/")) >= 3
                and counted.get("packetsIn", 0) >= 6 and counted.get("bytesIn", 0) >= 300
                and counted.get("packetsOut", 0) >= 6 and counted.get("bytesOut", 0) > 0)

    try:
        await ui.wait_for(lambda: len(ui.named("server_stats")) >= reports_before + 2 and complete(count_events()), timeout=8)
    except (AssertionError, asyncio.TimeoutError):
        pass  # the expectations below say what is missing
    totals = count_events()
    expect(totals.get("rawConnection", 0) >= 3, str(totals))
    expect(sum(v for k, v in totals.items() if k.startswith("rawDisconnection/")) >= 3, str(totals))
    expect(totals.get("packetsIn", 0) >= 6 and totals.get("bytesIn", 0) >= 300, str(totals))
    expect(totals.get("packetsOut", 0) >= 6 and totals.get("bytesOut", 0) > 0, str(totals))
    await ui.close()


@async_check
async def read_only_ui_watches_but_changes_nothing():
    ui = await admin(READ_ONLY, None)
    config = await ui.first("config")
    expect_equal(config, [{"supportedFeatures": ["AGGREGATED_EVENTS", "ALL_EVENTS"]}])
    user = await Peer.connect(READ_ONLY, "/chat")
    await ui.first("socket_connected", lambda a: a[0]["id"] == user.sid)
    await ui.emit("join", "/chat", "vip", user.sid)
    await ui.emit("emit", "/chat", None, "news", "x")
    await ui.emit("_disconnect", "/chat", True, user.sid)
    await asyncio.sleep(0.5)
    expect_equal(await user.call("rooms"), [])
    expect_equal(user.named("news"), [])
    expect(not user.disconnected, "a read-only UI disconnected a socket")
    await asyncio.gather(user.close(), ui.close())


@async_check
async def production_mode_sends_statistics_only():
    ui = await admin(PRODUCTION)
    config = await ui.first("config")
    expect_equal(config, [{"supportedFeatures": ALL_FEATURES[:-1]}])
    user = await Peer.connect(PRODUCTION, "/")
    await user.emit("message", "hi")
    await user.first("message-back")

    def clients():
        """The clients of the whole server: the latest report of each server (each worker, with WORKERS)."""
        latest = {args[0]["serverId"]: args[0]["clientsCount"] for args in ui.named("server_stats")}
        return sum(latest.values())

    await ui.wait_for(lambda: clients() >= 2)
    expect_equal(list(ui.named("server_stats")[-1][0].keys()), STATS_KEYS)
    await ui.emit("emit", "/", None, "news", "from the UI")
    expect_equal(await user.first("news"), ["from the UI"])
    reported = {name for name, _ in ui.events}
    expect(reported <= {"session", "config", "server_stats"}, f"production mode reported {reported}")
    await asyncio.gather(user.close(), ui.close())


@async_check
async def garbage_actions_change_nothing():
    ui = await admin(DEV)
    await ui.first("config")
    user = await Peer.connect(DEV, "/chat")
    garbage = {
        "join": [[], [7], ["/nope", "room"], ["/chat"], ["/chat", 5], ["/chat", ["x"], {"a": 1}], ["/chat", "r", 5], [None, "r"]],
        "leave": [[], ["/chat"], ["/chat", None, user.sid]],
        "emit": [[], ["/chat"], ["/chat", None], ["/chat", None, 5], ["/nope", None, "ev"], ["/chat", 7, "ev"]],
        "_disconnect": [[], [7], ["/nope"], [None, True], ["/chat", False, 5], ["/chat", True, ["x"]]],
    }
    for action, cases in garbage.items():
        for args in cases:
            await ui.emit(action, *args)
    await ui.first("server_stats", lambda a: True)
    await asyncio.sleep(2.2)
    names = [n["name"] for n in ui.named("server_stats")[-1][0]["namespaces"]]
    expect("/nope" not in names, f"an action created a namespace: {names}")
    expect_equal(await user.call("rooms"), [])
    expect(not user.disconnected and ui.sio.connected, "garbage disconnected someone")
    await asyncio.gather(user.close(), ui.close())


if REDIS_SERVER:
    redis_port = free_port()
    PROCESSES.append(subprocess.Popen(
        [REDIS_SERVER, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_for_port(redis_port)
    cluster_env = {"ADMIN_AUTH": "none", "REDIS_URL": f"redis://127.0.0.1:{redis_port}"}
    C1 = start_server(dict(cluster_env, SERVER_ID="c1"))
    C2 = start_server(dict(cluster_env, SERVER_ID="c2"))

    @async_check
    async def one_ui_sees_every_server_of_a_cluster():
        ui = await admin(C1, None)
        await ui.first("config")
        await ui.wait_for(lambda: {a[0]["serverId"].split("#")[0] for a in ui.named("server_stats")} >= {"c1", "c2"})
        user = await Peer.connect(C2, "/cluster", transports=("polling",))
        connected = await ui.first("socket_connected", lambda a: a[0]["id"] == user.sid)
        expect_equal((connected[0]["nsp"], connected[0]["transport"]), ("/cluster", "polling"))
        later = await admin(C1, None)
        await later.wait_for(lambda: later.named("all_sockets"))
        described = next(s for s in later.named("all_sockets")[0][0] if s["id"] == user.sid)
        expect_equal((described["clientId"], described["transport"], described["data"]), (user.sio.eio.sid[:12], "polling", {}))
        await ui.emit("join", "/cluster", "vip", user.sid)
        await ui.first("room_joined", lambda a: a[1] == "vip" and a[2] == user.sid)
        await ui.emit("emit", "/cluster", "vip", "news", "across")
        expect_equal(await user.first("news"), ["across"])
        await asyncio.gather(user.close(), ui.close(), later.close())


try:
    run(per_check_timeout=30)
finally:
    for process in PROCESSES:
        process.kill()
