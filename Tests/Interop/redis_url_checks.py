"""Two conformance servers over each form of REDIS_URL (section 14 of the contract): a DNS
name with an ACL user, a password and a database; rediss:// with a CA the test makes
(REDIS_CA_FILE); a unix socket with a database. For each, python-socketio clients on both
servers share a room, and a client recovers on the other server (RECOVERY_MS: the state
store's keys on that Redis, on that database).

Usage: redis_url_checks.py SERVER_BINARY REDIS_SERVER MAKE_TEST_CERTS
Prints 'N passed, M failed'.
"""
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time

import redis

from cluster_clients import ClusterClient as Client
from cluster_clients import RawSocketIO as Raw
from checklib import check, expect, expect_equal, free_port, run, wait_for_port

SERVER, REDIS_SERVER, MAKE_TEST_CERTS = sys.argv[1:4]
WORKDIR = tempfile.mkdtemp(prefix="flagon-redis-urls-")
CERTS = os.path.join(WORKDIR, "certs")
subprocess.run([MAKE_TEST_CERTS, CERTS], check=True, timeout=60)


def redis_server(*arguments, port=None, wait=True):
    port = port or free_port()
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if wait:
        wait_for_port(port)
    return port, process


def start_server(server_id, url, extra):
    port = free_port()
    env = dict(os.environ, PORT=str(port), REDIS_URL=url, SERVER_ID=server_id, RECOVERY_MS="30000",
               PING_INTERVAL="2000", PING_TIMEOUT="5000", **extra)
    process = subprocess.Popen([SERVER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(port)
    except RuntimeError:
        process.kill()
        raise AssertionError(f"the server did not start on {url}: {process.stderr.read().decode()[-800:]}")
    return port, process


async def share_a_room(a_port, b_port):
    a = await Client.connect(a_port, ("websocket",))
    b = await Client.connect(b_port, ("polling",))
    expect_equal(await b.call("join", "url-room"), True)
    await asyncio.sleep(0.3)
    expect_equal(await a.call("emit-to", "url-room", "over-the-url", 1), True)
    await b.wait_for(lambda: b.named("over-the-url"))
    expect_equal([args[0] for args in b.named("over-the-url")], [1])   # with recovery, the offset follows
    await a.close()
    await b.close()


def recover_on_the_other(a_port, b_port):
    client = Raw(a_port)
    sid, pid = client.hello["sid"], client.hello["pid"]
    sender = Raw(b_port)
    expect_equal(client.call("join", "r"), [True])
    time.sleep(0.3)
    expect_equal(sender.call("emit-to", "r", "news", 1), [True])
    offset = client.event("news")[1]
    client.close()
    time.sleep(0.3)
    expect_equal(sender.call("emit-to", "r", "news", 2), [True])
    back = Raw(b_port, {"pid": pid, "offset": offset})
    expect_equal(back.hello["sid"], sid)
    expect_equal(back.event("news")[0], 2)
    back.close()
    sender.close()


def two_servers(url, extra=None):
    a_port, a = start_server("A", url, extra or {})
    b_port, b = start_server("B", url, extra or {})
    try:
        asyncio.run(share_a_room(a_port, b_port))
        recover_on_the_other(a_port, b_port)
        expect(a.poll() is None and b.poll() is None, "a server died")
    finally:
        for process in (a, b):
            process.kill()
            process.wait()


@check
def a_dns_name_an_acl_user_a_password_and_a_database():
    port, process = redis_server("--user", "default", "off", "--user", "app", "on", ">s3cret", "~*", "&*", "+@all")
    try:
        two_servers(f"redis://app:s3cret@localhost:{port}/3")
        probe = redis.Redis(host="127.0.0.1", port=port, username="app", password="s3cret", db=3)
        expect(any(key.startswith(b"socket.io-recovery#") for key in probe.keys("*")), "no recovery stream on database 3")
        expect_equal(redis.Redis(host="127.0.0.1", port=port, username="app", password="s3cret", db=0).dbsize(), 0)
    finally:
        process.kill()
        process.wait()


@check
def rediss_with_a_ca_file():
    port = free_port()
    _, process = redis_server("--port", "0", "--tls-port", str(port), "--tls-cert-file", f"{CERTS}/server.pem",
                              "--tls-key-file", f"{CERTS}/server.key", "--tls-ca-cert-file", f"{CERTS}/ca.pem",
                              "--tls-auth-clients", "no", port=free_port(), wait=False)
    try:
        wait_for_port(port)
        two_servers(f"rediss://localhost:{port}", {"REDIS_CA_FILE": f"{CERTS}/ca.pem"})
        # Without the CA, Redis's certificate is not trusted: refused at start, saying why.
        env = dict(os.environ, PORT=str(free_port()), REDIS_URL=f"rediss://localhost:{port}", SERVER_ID="C")
        result = subprocess.run([SERVER], env=env, capture_output=True, timeout=20)
        expect(result.returncode != 0 and b"certificate verification failed" in result.stderr, result.stderr.decode()[-500:])
    finally:
        process.kill()
        process.wait()


@check
def a_unix_socket_with_a_database():
    socket_path = os.path.join(WORKDIR, "redis.sock")
    port, process = redis_server("--unixsocket", socket_path, "--unixsocketperm", "700")
    try:
        two_servers(f"unix://{socket_path}?db=2")
        expect(redis.Redis(host="127.0.0.1", port=port, db=2).dbsize() >= 1, "nothing on database 2")
    finally:
        process.kill()
        process.wait()


try:
    run(per_check_timeout=60)
finally:
    shutil.rmtree(WORKDIR, ignore_errors=True)
