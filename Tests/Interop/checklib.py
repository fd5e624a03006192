"""A tiny runner for the interop checks: each check is a function; failures are collected,
every check is bounded in time, and the summary line is 'N passed, M failed'."""
import asyncio
import fcntl
import json
import os
import random
import socket
import sys
import tempfile
import threading
import time
import traceback

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def expect(condition, message="expectation failed"):
    if not condition:
        raise AssertionError(message)


def expect_equal(actual, expected):
    if actual != expected:
        raise AssertionError(f"expected {expected!r}, got {actual!r}")


def async_check(fn):
    """A check written as a coroutine: run on its own event loop."""
    def runner():
        asyncio.run(fn())
    runner.__name__ = fn.__name__
    return check(runner)


async def wait_until(predicate, changed, timeout, describe):
    """Waits until predicate() holds, looking again whenever the asyncio.Event `changed` is
    set; raises AssertionError with describe() after `timeout` seconds."""
    deadline = time.time() + timeout
    while not predicate():
        remaining = deadline - time.time()
        if remaining <= 0:
            raise AssertionError(f"timed out; {describe()}")
        changed.clear()
        try:
            await asyncio.wait_for(changed.wait(), remaining)
        except asyncio.TimeoutError:
            pass


PORT_DIRECTORY = os.path.join(tempfile.gettempdir(), "flagon-test-ports")
PORT_RANGE = (10000, 19999)   # below the kernel's ephemeral range: no outgoing connection takes one
_held_ports = []   # the open lock files: each port stays this process's until it exits


def reserve_port(port):
    """Takes `port` for this process when no other test process holds it and nothing listens
    on it: an exclusive flock on PORT_DIRECTORY/<port>, which the Swift suites take too and
    which the kernel drops when this process exits. Ports the kernel hands out (bind to 0) are
    free only at that moment; two suites side by side could both be given one."""
    os.makedirs(PORT_DIRECTORY, exist_ok=True)
    handle = open(os.path.join(PORT_DIRECTORY, str(port)), "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))
    except OSError:
        handle.close()
        return False
    _held_ports.append(handle)
    return True


def free_port():
    """A loopback port from PORT_RANGE that nothing listens on now and no other test process holds."""
    for _ in range(2000):
        port = random.randint(*PORT_RANGE)
        if reserve_port(port):
            return port
    raise RuntimeError(f"no free loopback port in {PORT_RANGE}")


def wait_for_port(port, timeout=10.0):
    """Waits until something accepts connections on the loopback port."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def run(selected=None, per_check_timeout=20):
    passed, failed = 0, []
    for fn in CHECKS:
        if selected and fn.__name__ not in selected:
            continue
        result = {}

        def target():
            try:
                fn()
                result["ok"] = True
            except Exception:
                result["error"] = traceback.format_exc()

        thread = threading.Thread(target=target, daemon=True)
        started = time.time()
        thread.start()
        thread.join(per_check_timeout)
        took = time.time() - started
        if result.get("ok"):
            passed += 1
            print(f"ok   {fn.__name__} ({took:.2f}s)", flush=True)
        else:
            failed.append(fn.__name__)
            print(f"FAIL {fn.__name__} ({took:.2f}s)\n{result.get('error', 'timed out')}", flush=True)
    print(f"{passed} passed, {len(failed)} failed")
    print(json.dumps({"passed": passed, "failed": failed}))
    sys.exit(1 if failed else 0)
