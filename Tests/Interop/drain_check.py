"""Draining restart: 1,000 clients (WebSocket and long-polling) on the conformance server,
each sending acked events one after the other; SIGTERM; the server must close every session
at the Engine.IO level (WebSocket close 1001, a close packet on polling, never a Socket.IO
DISCONNECT), spread over the DRAIN_MS window, answer every event it received, refuse new
handshakes with 503, and exit 0.

Usage: drain_check.py SERVER_BINARY [CLIENTS] [DRAIN_MS]
Prints the histogram of close times and 'N passed, M failed'.
"""
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time

import aiohttp

from checklib import free_port

BINARY = sys.argv[1]
CLIENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
DRAIN_MS = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
POLLING_SHARE = 0.2


class Client:
    def __init__(self, index):
        self.index = index
        self.sent = 0
        self.acked = []
        self.closed_at = None
        self.close_code = None
        self.saw_disconnect_packet = False
        self.error = None


async def websocket_client(session, base, client, connected, stop):
    ws = await session.ws_connect(f"{base.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket", autoping=False)
    await ws.receive()  # open packet
    await ws.send_str("40")
    while True:
        message = await ws.receive()
        if message.type == aiohttp.WSMsgType.TEXT and message.data.startswith("40{"):
            break
        if message.type != aiohttp.WSMsgType.TEXT:
            raise RuntimeError(f"client {client.index} could not connect: {message.type}")
    connected.release()
    outstanding = None
    stop_sending = False
    while True:
        if outstanding is None and not stop.is_set() and not stop_sending:
            client.sent += 1
            outstanding = client.sent
            try:
                await ws.send_str(f'42{outstanding}["message-with-ack",{outstanding}]')
            except aiohttp.ClientConnectionResetError:
                client.sent -= 1   # the close frame has arrived: the event never left
                outstanding = None
                stop_sending = True
        message = await ws.receive()
        if message.type == aiohttp.WSMsgType.TEXT:
            data = message.data
            if data == "2":
                try:
                    await ws.send_str("3")
                except aiohttp.ClientConnectionResetError:
                    pass   # closing: the close frame is next
            elif data.startswith("43"):
                ack_id = int(data[2:data.index("[")])
                client.acked.append(ack_id)
                if ack_id == outstanding:
                    outstanding = None
                    await asyncio.sleep(0.25)
            elif data.startswith("41"):
                client.saw_disconnect_packet = True
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
            client.closed_at = time.monotonic()
            client.close_code = ws.close_code if message.type != aiohttp.WSMsgType.CLOSE else message.data
            return outstanding
        else:
            client.closed_at = time.monotonic()
            client.error = f"unexpected {message.type}"
            return outstanding


async def polling_client(session, base, client, connected, stop):
    url = f"{base}/socket.io/?EIO=4&transport=polling"
    async with session.get(url) as response:
        sid = json.loads((await response.text())[1:])["sid"]
    url += f"&sid={sid}"
    async with session.post(url, data="40") as response:
        await response.text()
    outstanding = None
    first = True
    while True:
        if outstanding is None and not stop.is_set():
            client.sent += 1
            outstanding = client.sent
            async with session.post(url, data=f'42{outstanding}["message-with-ack",{outstanding}]') as response:
                await response.text()
        async with session.get(url) as response:
            if response.status != 200:
                client.closed_at = time.monotonic()
                client.close_code = f"HTTP {response.status}"
                return outstanding
            body = await response.text()
        for packet in body.split("\x1e"):
            if packet.startswith("40{") and first:
                first = False
                connected.release()
            elif packet == "2":
                async with session.post(url, data="3") as response:
                    await response.text()
            elif packet.startswith("43"):
                ack_id = int(packet[2:packet.index("[")])
                client.acked.append(ack_id)
                if ack_id == outstanding:
                    outstanding = None
                    await asyncio.sleep(0.25)
            elif packet.startswith("41"):
                client.saw_disconnect_packet = True
            elif packet == "1":
                client.closed_at = time.monotonic()
                client.close_code = "close packet"
                return outstanding


async def main():
    port = free_port()
    # One Python process cannot answer 1,000 clients' pings within the contract's 200 ms.
    env = dict(os.environ, PORT=str(port), DRAIN_MS=str(DRAIN_MS), PING_INTERVAL="5000", PING_TIMEOUT="10000")
    server = subprocess.Popen([BINARY], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                await asyncio.sleep(0.01)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
            clients = [Client(i) for i in range(CLIENTS)]
            connected = asyncio.Semaphore(0)
            stop = asyncio.Event()
            tasks = []
            for client in clients:
                polling = client.index < CLIENTS * POLLING_SHARE
                body = polling_client if polling else websocket_client
                tasks.append(asyncio.create_task(body(session, base, client, connected, stop)))
                if client.index % 50 == 49:
                    await asyncio.sleep(0.2)
            for n in range(len(clients)):
                try:
                    await asyncio.wait_for(connected.acquire(), timeout=10)
                except asyncio.TimeoutError:
                    broken = [t.exception() for t in tasks if t.done() and t.exception()]
                    raise RuntimeError(f"{n} of {len(clients)} clients connected; {len(broken)} failed: {broken[:3]!r}")
                if n % 50 == 49:
                    print(f"{n + 1} clients connected", flush=True)
            await asyncio.sleep(0.3)   # every client has events in flight
            sigterm_at = time.monotonic()
            server.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.2)
            async with session.get(f"{base}/socket.io/?EIO=4&transport=polling") as response:
                results["handshake during drain"] = response.status
            outstanding = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=DRAIN_MS / 1000 + 15)
            exit_code = server.wait(timeout=15)
            exited_after = time.monotonic() - sigterm_at
    finally:
        if server.poll() is None:
            server.kill()

    failures = []
    errors = [o for o in outstanding if isinstance(o, BaseException)]
    if errors:
        failures.append(f"{len(errors)} clients failed: {errors[0]!r}")
    times = [(c.closed_at - sigterm_at) * 1000 for c in clients if c.closed_at is not None]
    buckets = [0] * 10
    for t in times:
        buckets[min(9, max(0, int(t * 10 / DRAIN_MS)))] += 1
    print(f"close times after SIGTERM (ms), {len(times)} clients, window {DRAIN_MS} ms:")
    for i, count in enumerate(buckets):
        print(f"  {i * DRAIN_MS // 10:5d}-{(i + 1) * DRAIN_MS // 10:5d}: {count:4d} {'#' * (count // 5)}")
    codes = {}
    for c in clients:
        codes[str(c.close_code)] = codes.get(str(c.close_code), 0) + 1
    print("how sessions ended:", codes)
    sent = sum(c.sent for c in clients)
    acked = sum(len(c.acked) for c in clients)
    print(f"events sent {sent}, acked {acked}; server exit {exit_code} after {exited_after * 1000:.0f} ms")

    def check(condition, message):
        if not condition:
            failures.append(message)

    check(len(times) == CLIENTS, f"only {len(times)} of {CLIENTS} clients saw their session close")
    # Spread over the window: most tenths of it see closes, none takes more than three times
    # its share, and the closes span most of the window (a loaded machine may start late).
    check(sum(1 for b in buckets if b > 0) >= 8, f"close times not spread over the window: {buckets}")
    check(max(buckets) <= 3 * CLIENTS / 10, f"close times bunched: {buckets}")
    check(max(times, default=0) - min(times, default=0) >= 0.6 * DRAIN_MS, f"closes span too little of the window: {buckets}")
    check(min(times, default=0) >= 0, "a session closed before SIGTERM")
    check(max(times, default=0) <= DRAIN_MS + 1500, f"a session closed {max(times):.0f} ms after SIGTERM")
    check(not any(c.saw_disconnect_packet for c in clients), "a Socket.IO DISCONNECT was sent")
    websocket_codes = [c.close_code for c in clients if c.index >= CLIENTS * POLLING_SHARE]
    check(all(code == 1001 for code in websocket_codes), f"WebSocket close codes: {set(websocket_codes)}")
    polling_codes = [c.close_code for c in clients if c.index < CLIENTS * POLLING_SHARE]
    check(all(code == "close packet" for code in polling_codes), f"polling endings: {set(map(str, polling_codes))}")
    for c in clients:
        # Acks come in order, with no gap: at most the last event, still on its way when
        # the session closed, is unanswered.
        if c.acked != list(range(1, len(c.acked) + 1)) or c.sent - len(c.acked) > 1:
            check(False, f"client {c.index}: sent {c.sent}, acked {c.acked[-5:]}")
            break
    check(results.get("handshake during drain") == 503, f"handshake during drain: {results.get('handshake during drain')}")
    check(exit_code == 0, f"server exit status {exit_code}")
    check(exited_after * 1000 <= DRAIN_MS + 5000, f"server took {exited_after * 1000:.0f} ms to exit")
    for failure in failures:
        print("FAIL", failure)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    sys.exit(1 if failures else 0)


asyncio.run(main())
