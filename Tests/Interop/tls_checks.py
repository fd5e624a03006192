"""TLS on the conformance server's port (contract section 15): what is not TLS costs one
connection only, old protocol versions are refused, ALPN says http/1.1, and SIGHUP reloads
the certificate without dropping open connections.

Usage: tls_checks.py https://127.0.0.1:PORT SERVER_PID CERT_DIR
CERT_DIR holds ca.pem and renewed.pem/.key (scripts/make-test-certs); the server serves
CERT_DIR/live.pem and live.key, which the reload check replaces."""
import asyncio
import hashlib
import warnings
import os
import shutil
import signal
import socket
import ssl
import sys
import time

# The Socket.IO clients' HTTP and WebSocket layers trust the test CA through these (set
# before they load: aiohttp makes its TLS context when imported).
os.environ["SSL_CERT_FILE"] = os.path.join(sys.argv[3], "ca.pem")
os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"]

import socketio  # noqa: E402

from checklib import async_check, check, expect, expect_equal, run  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)

BASE = sys.argv[1].rstrip("/")
SERVER_PID = int(sys.argv[2])
CERTS = sys.argv[3]
PORT = int(BASE.rsplit(":", 1)[1])
CA = os.path.join(CERTS, "ca.pem")


def tls_context():
    context = ssl.create_default_context(cafile=CA)
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context


def served_certificate():
    """The DER certificate the server presents now (a fresh connection)."""
    with socket.create_connection(("127.0.0.1", PORT), timeout=5) as raw:
        with tls_context().wrap_socket(raw, server_hostname="localhost") as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def pem_fingerprint(name):
    with open(os.path.join(CERTS, name)) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def handshake_works():
    """An Engine.IO handshake over HTTPS answers."""
    with socket.create_connection(("127.0.0.1", PORT), timeout=5) as raw:
        with tls_context().wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\n\r\n")
            reply = b""
            while b'"sid"' not in reply:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                reply += chunk
            return reply.startswith(b"HTTP/1.1 200") and b'"sid"' in reply


def closed_within(sock, seconds):
    """True when the peer closes (or resets) `sock` within `seconds`; what it sends first is returned too."""
    sock.settimeout(0.2)
    deadline = time.time() + seconds
    received = b""
    while time.time() < deadline:
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        except (ConnectionResetError, OSError):
            return True, received
        if not chunk:
            return True, received
        received += chunk
    return False, received


@check
def alpn_says_http11_and_the_protocol_is_tls12_or_13():
    with socket.create_connection(("127.0.0.1", PORT), timeout=5) as raw:
        with tls_context().wrap_socket(raw, server_hostname="localhost") as tls:
            expect_equal(tls.selected_alpn_protocol(), "http/1.1")
            expect(tls.version() in ("TLSv1.2", "TLSv1.3"), tls.version())


@check
def plain_http_on_the_tls_port_costs_one_connection():
    with socket.create_connection(("127.0.0.1", PORT), timeout=5) as sock:
        sock.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
        closed, received = closed_within(sock, 3)
        expect(closed, "a plain HTTP request left open")
        expect(b"HTTP/" not in received, f"plain HTTP answered: {received[:80]!r}")
    expect(handshake_works(), "the server stopped serving")


@check
def random_bytes_cost_one_connection():
    with socket.create_connection(("127.0.0.1", PORT), timeout=5) as sock:
        sock.sendall(os.urandom(4096))
        closed, _ = closed_within(sock, 3)
        expect(closed, "random bytes left open")
    expect(handshake_works())


@check
def a_stalled_handshake_is_closed_and_others_are_served_meanwhile():
    with socket.create_connection(("127.0.0.1", PORT), timeout=5) as sock:
        hello = bytearray()
        # Half a ClientHello: a record header promising 512 bytes, and 100 of them.
        sock.sendall(bytes([0x16, 0x03, 0x01, 0x02, 0x00]) + bytes(100))
        started = time.time()
        expect(handshake_works(), "another client not served during the stall")
        closed, _ = closed_within(sock, 12)
        expect(closed, "a stalled handshake was never closed")
        expect(time.time() - started < 11.5, f"closed after {time.time() - started:.1f} s")
        del hello


@check
def tls_11_is_refused():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    refused = False
    with socket.create_connection(("127.0.0.1", PORT), timeout=5) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                refused = tls.version() not in ("TLSv1", "TLSv1.1")
        except (ssl.SSLError, ConnectionResetError, OSError):
            refused = True
    expect(refused, "a TLS 1.1 handshake completed")
    expect(handshake_works())


@check
def a_client_that_never_reads_costs_one_connection():
    sock = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    tls = tls_context().wrap_socket(sock, server_hostname="localhost")
    request = b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\n\r\n"
    tls.settimeout(0.5)
    try:
        for _ in range(400):
            tls.sendall(request)
    except (socket.timeout, ssl.SSLError, OSError):
        pass
    started = time.time()
    expect(handshake_works(), "another client not served")
    expect(time.time() - started < 2, "another client waited")
    tls.close()


@check
def sighup_reloads_the_certificate_and_keeps_open_connections():
    client = socketio.Client(reconnection=False)
    client.connect(BASE, transports=["websocket"], wait_timeout=5)
    try:
        expect_equal(served_certificate(), pem_fingerprint("live.pem"))
        before = served_certificate()
        # A renewal: new files, then SIGHUP.
        shutil.copy(os.path.join(CERTS, "renewed.pem"), os.path.join(CERTS, "live.pem"))
        shutil.copy(os.path.join(CERTS, "renewed.key"), os.path.join(CERTS, "live.key"))
        os.kill(SERVER_PID, signal.SIGHUP)
        # Every worker reloads on its own: wait until ten handshakes in a row (on whatever
        # workers accept them) serve the new certificate.
        deadline = time.time() + 5
        in_a_row = 0
        while in_a_row < 10 and time.time() < deadline:
            in_a_row = in_a_row + 1 if served_certificate() != before else 0
            if in_a_row == 0:
                time.sleep(0.05)
        expect_equal(served_certificate(), pem_fingerprint("renewed.pem"))
        expect_equal(client.call("message-with-ack", "still here", timeout=5), "still here")
        # A broken renewal: the reload fails, the certificate in use stays.
        with open(os.path.join(CERTS, "live.pem"), "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
        os.kill(SERVER_PID, signal.SIGHUP)
        time.sleep(0.3)
        expect_equal(served_certificate(), pem_fingerprint("renewed.pem"))
        expect_equal(client.call("message-with-ack", "after a failed reload", timeout=5), "after a failed reload")
        expect(client.connected)
    finally:
        client.disconnect()


# The asyncio client (one thread per connection's TLS): python-socketio's threaded client
# reads and writes one TLS socket from two threads, which breaks now and then against any
# TLS server (nginx included), so the checks over TLS use this one.
MODES = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": ["polling", "websocket"]}


async def connected(mode):
    client = socketio.AsyncClient(reconnection=False)
    received = {}
    arrived = asyncio.Event()

    @client.on("*")
    def any_event(event, *args):
        received.setdefault(event, []).append(args)
        arrived.set()

    await client.connect(BASE, transports=MODES[mode], wait_timeout=5)
    return client, received, arrived


async def until(predicate, arrived, seconds=10):
    deadline = time.time() + seconds
    while not predicate():
        remaining = deadline - time.time()
        expect(remaining > 0, "timed out")
        arrived.clear()
        try:
            await asyncio.wait_for(arrived.wait(), remaining)
        except asyncio.TimeoutError:
            pass


@async_check
async def events_acks_and_binary_in_every_transport_over_tls():
    for mode in MODES:
        client, received, arrived = await connected(mode)
        try:
            expect_equal(await client.call("message-with-ack", (1, "2", {"3": [True]}), timeout=5), (1, "2", {"3": [True]}))
            blob = os.urandom(100_000)
            expect_equal(await client.call("message-with-ack", blob, timeout=5), blob)
            await client.emit("message", ("text", b"\x00\x01binary"))
            await until(lambda: "message-back" in received, arrived)
            expect_equal(received["message-back"][0], ("text", b"\x00\x01binary"))
        finally:
            await client.disconnect()


@async_check
async def a_large_binary_payload_and_a_burst_arrive_whole_and_in_order_over_tls():
    for mode in ("websocket", "upgrade"):
        client, received, arrived = await connected(mode)
        try:
            blob = os.urandom(900_000)   # under maxPayload (1,000,000)
            expect_equal(await client.call("message-with-ack", blob, timeout=10), blob)
            await client.emit("burst", 1000)
            await until(lambda: "burst-end" in received, arrived)
            expect_equal([args[0] for args in received["burst-item"]], list(range(1000)))
        finally:
            await client.disconnect()


if __name__ == "__main__":
    run(set(sys.argv[4:]) or None, per_check_timeout=40)
