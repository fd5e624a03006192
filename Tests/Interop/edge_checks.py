"""Flagon behind nginx on one machine, as Examples/deploy/nginx-one-machine.conf deploys it:
a conformance server with two workers listening on TCP and on a unix socket at once
(FLAGON_LISTEN), nginx's upstream the socket with no stickiness. Clients chat through nginx
on both transports; the client address nginx forwards is what the per-address session limit
counts (MAX_SESSIONS_PER_ADDRESS), a spoofed X-Forwarded-For changes nothing, and a client
that reaches the TCP port directly cannot name another address.

Usage: edge_checks.py SERVER_BINARY NGINX NGINX_CONF
"""
import asyncio
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import aiohttp
import socketio

from checklib import async_check, check, expect, expect_equal, free_port, run, wait_for_port

SERVER, NGINX, NGINX_CONF = sys.argv[1:4]
WORKDIR = tempfile.mkdtemp(prefix="flagon-edge-")
SOCKET = os.path.join(WORKDIR, "flagon.sock")
PORT, NGINX_PORT = free_port(), free_port()
PROCESSES = []


def start():
    env = dict(os.environ, PORT=str(PORT), WORKERS="2", MAX_SESSIONS_PER_ADDRESS="2",
               FLAGON_LISTEN=f"127.0.0.1:{PORT},unix:{SOCKET}")
    PROCESSES.append(subprocess.Popen([SERVER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_for_port(PORT)
    with open(NGINX_CONF) as template:
        config = template.read()
    config = (config.replace("unix:/run/flagon/flagon.sock", f"unix:{SOCKET}").replace("listen 80;", f"listen 127.0.0.1:{NGINX_PORT};")
              .replace("worker_processes auto;", "worker_processes 1;"))
    temp_paths = "".join(f"    {kind}_temp_path {WORKDIR}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config = f"pid {WORKDIR}/nginx.pid;\nerror_log {WORKDIR}/error.log;\n" + config.replace("http {\n", "http {\n" + temp_paths, 1)
    if os.geteuid() == 0:
        # nginx started by root serves as `nobody`, which the socket's 0660 keeps out (the
        # deploy puts nginx's user in the server's group instead).
        config = "user root root;\n" + config
    path = os.path.join(WORKDIR, "nginx.conf")
    with open(path, "w") as out:
        out.write(config)
    PROCESSES.append(subprocess.Popen([NGINX, "-p", WORKDIR, "-c", path, "-g", "daemon off;"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_for_port(NGINX_PORT)


def handshake(port, source, headers=None):
    """Opens an Engine.IO session from the loopback address `source`: (status, sid or None)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    connection.request("GET", "/socket.io/?EIO=4&transport=polling", headers=headers or {})
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    return response.status, json.loads(body[1:])["sid"] if response.status == 200 else None


@async_check
async def clients_chat_through_nginx_on_both_transports():
    clients, sessions = [], []
    try:
        for index, transport in enumerate(("polling", "websocket", "polling", "websocket")):
            # Each from its own address (two sessions per address at most).
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(f"127.0.0.{20 + index}", 0)))
            sessions.append(session)
            sio = socketio.AsyncClient(reconnection=False, http_session=session)
            await sio.connect(f"http://127.0.0.1:{NGINX_PORT}", transports=[transport], wait_timeout=5)
            clients.append(sio)
        for index, sio in enumerate(clients):
            got = asyncio.get_running_loop().create_future()
            sio.on("message-back", lambda *args, f=got: f.done() or f.set_result(list(args)))
            await sio.emit("message", (index, "through nginx", {"n": index}))
            expect_equal(await asyncio.wait_for(got, 5), [index, "through nginx", {"n": index}])
    finally:
        for sio in clients:
            await sio.disconnect()
        for session in sessions:
            await session.close()


@check
def the_limit_counts_the_client_nginx_names_not_nginx():
    opened = [handshake(NGINX_PORT, "127.0.0.7") for _ in range(3)]
    expect_equal([status for status, _ in opened], [200, 200, 429])
    # Another client is not refused: nginx itself is not what is counted.
    expect_equal(handshake(NGINX_PORT, "127.0.0.8")[0], 200)


@check
def a_spoofed_forwarded_for_through_nginx_changes_nothing():
    statuses = [handshake(NGINX_PORT, "127.0.0.9", {"X-Forwarded-For": f"198.51.100.{n}"})[0] for n in range(3)]
    expect_equal(statuses, [200, 200, 429])


@check
def a_client_on_the_tcp_port_cannot_name_another_address():
    statuses = [handshake(PORT, "127.0.0.10", {"X-Forwarded-For": f"203.0.113.{n}"})[0] for n in range(3)]
    expect_equal(statuses, [200, 200, 429])


@check
def the_socket_file_is_the_servers_while_it_runs():
    expect(os.path.exists(SOCKET), "no socket file")
    expect_equal(oct(os.stat(SOCKET).st_mode & 0o777), oct(0o660))


try:
    start()
    run(per_check_timeout=30)
finally:
    for process in reversed(PROCESSES):
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
    expect_gone = not os.path.exists(SOCKET)
    if os.environ.get("KEEP_EDGE"):
        print(WORKDIR)
    else:
        shutil.rmtree(WORKDIR, ignore_errors=True)
    if not expect_gone:
        print("the socket file outlived the server")
        sys.exit(1)
