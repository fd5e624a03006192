"""Connection state recovery across processes (section 9 with section 8): two
conformance-server processes with RECOVERY_MS and REDIS_URL on one redis-server. A raw
Socket.IO client on process A joins a room and receives a broadcast (with its offset); A is
stopped (SIGTERM with its draining shutdown, or SIGKILL); while A is down, process B
broadcasts to the room; the client reconnects to B with {pid, offset} and gets its sid, its
room and every missed broadcast, in order. Then 1,000 clients recover at once on another
process, timed.

Usage: recovery_checks.py SERVER_BINARY REDIS_SERVER
Prints 'N passed, M failed'.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

from checklib import check, expect, expect_equal, free_port, run, wait_for_port
from cluster_clients import RawSocketIO as Raw

SERVER, REDIS_SERVER = sys.argv[1:3]


REDIS_PORT = free_port()
REDIS = subprocess.Popen([REDIS_SERVER, "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait_for_port(REDIS_PORT)


def start_server(server_id):
    port = free_port()
    env = dict(os.environ, PORT=str(port), REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}", SERVER_ID=server_id,
               RECOVERY_MS="30000", DRAIN_MS="200", PING_INTERVAL="2000", PING_TIMEOUT="5000")
    process = subprocess.Popen([SERVER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return port, process


def recover_after(stop):
    a_port, a = start_server("A")
    b_port, b = start_server("B")
    try:
        client = Raw(a_port)
        sid, pid = client.hello["sid"], client.hello["pid"]
        sender = Raw(b_port)
        expect_equal(client.call("join", "room"), [True])
        time.sleep(0.2)
        expect_equal(sender.call("emit-to", "room", "news", 1), [True])
        first = client.event("news")
        expect_equal(first[0], 1)
        offset = first[1]
        stop(a)
        client.close()
        expect_equal(sender.call("emit-to", "room", "news", 2), [True])
        expect_equal(sender.call("emit-to", "room", "news", 3), [True])
        expect_equal(sender.call("emit-to", "other-room", "news", 99), [True])
        back = Raw(b_port, {"pid": pid, "offset": offset})
        expect_equal(back.hello["sid"], sid)
        expect_equal([back.event("news")[0], back.event("news")[0]], [2, 3])
        expect_equal(back.call("whoami")[0], {"server": "B", "sid": sid})
        expect_equal(sender.call("emit-to", "room", "news", 4), [True])
        expect_equal(back.event("news")[0], 4)   # still in the room
        back.close()
        sender.close()
    finally:
        for process in (a, b):
            if process.poll() is None:
                process.kill()
            process.wait()


@check
def recovers_on_another_process_after_a_draining_sigterm():
    def stop(process):
        process.send_signal(signal.SIGTERM)
        expect_equal(process.wait(15), 0)
    recover_after(stop)


@check
def recovers_on_another_process_after_sigkill():
    def stop(process):
        process.kill()
        process.wait()
    recover_after(stop)


@check
def one_thousand_clients_recover_at_once_on_another_process():
    a_port, a = start_server("A")
    b_port, b = start_server("B")
    clients = []
    try:
        count = 1000

        def connect_some(results, n):
            for _ in range(n):
                results.append(Raw(a_port))

        batches = [[] for _ in range(10)]
        threads = [threading.Thread(target=connect_some, args=(batches[i], count // 10)) for i in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        clients = [client for batch in batches for client in batch]
        expect_equal(len(clients), count)
        sender = Raw(b_port)
        expect_equal(sender.call("emit-to", "nobody-here", "warm", 0), [True])
        # Every client gets one broadcast (its offset), then A dies.
        expect_equal(sender.call("broadcast", "tick", 1), [True])
        offsets = [client.event("tick")[1] for client in clients]
        sessions = [(client.hello["sid"], client.hello["pid"]) for client in clients]
        a.kill()
        a.wait()
        for client in clients:
            client.close()
        expect_equal(sender.call("broadcast", "tick", 2), [True])
        recovered = [None] * count

        def recover(indices):
            for index in indices:
                sid, pid = sessions[index]
                client = Raw(b_port, {"pid": pid, "offset": offsets[index]})
                recovered[index] = client.hello["sid"] == sid and client.event("tick")[0] == 2
                client.close()

        started = time.time()
        workers = [threading.Thread(target=recover, args=(range(i, count, 50),)) for i in range(50)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        took = time.time() - started
        print(f"     {count} clients recovered on another process in {took:.2f} s (50 client threads)", flush=True)
        expect(all(recovered), f"{recovered.count(False)} did not recover")
        sender.close()
    finally:
        for process in (a, b):
            if process.poll() is None:
                process.kill()
            process.wait()


try:
    run(per_check_timeout=120)
finally:
    REDIS.kill()
    REDIS.wait()
