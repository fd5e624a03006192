"""The demo's /metrics after a scripted session, parsed with prometheus_client's own parser:
every count exactly as the session makes it.
Usage: python metrics_check.py http://127.0.0.1:PORT"""
import sys
import time

import requests
import socketio
from prometheus_client.parser import text_string_to_metric_families

from checklib import check, expect, expect_equal, run

BASE = sys.argv[1].rstrip("/")


def scrape():
    response = requests.get(BASE + "/metrics", timeout=5)
    expect_equal(response.status_code, 200)
    expect(response.headers["Content-Type"].startswith("text/plain; version=0.0.4"), response.headers["Content-Type"])
    values = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            # With several workers each sample carries its worker: the server's value is their sum.
            labels = {name: label for name, label in sample.labels.items() if name != "worker"}
            key = (sample.name, tuple(sorted(labels.items())))
            values[key] = values.get(key, 0) + sample.value
    return values


@check
def every_worker_is_in_the_one_scrape():
    """With FLAGON_WORKERS=2, each sample of one scrape names its worker, and both are there."""
    if len(sys.argv) < 3 or sys.argv[2] != "2":
        return
    text = requests.get(BASE + "/metrics", timeout=5).text
    workers = {sample.labels.get("worker") for family in text_string_to_metric_families(text) for sample in family.samples}
    expect_equal(workers, {"0", "1"})


@check
def process_metrics_are_exported_as_prometheus_clients_name_them():
    values = scrape()
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    resident = value(values, "process_resident_memory_bytes")
    expect(1 << 20 < resident < workers * (1 << 30), f"resident memory {resident}")
    expect(("process_cpu_seconds_total", ()) in values, "no CPU time exported")   # a fresh process may be under one tick
    expect(workers * 3 <= value(values, "process_open_fds") <= value(values, "process_max_fds"), "descriptors")
    start = value(values, "process_start_time_seconds") / workers
    expect(time.time() - 3600 < start <= time.time() + 1, f"start time {start}")


def value(values, name, **labels):
    return values.get((name, tuple(sorted(labels.items()))), 0)


def disconnects(values):
    """Sockets that left /chat, whatever the reason."""
    return sum(v for (name, labels), v in values.items()
               if name == "flagon_socketio_disconnects_total" and ("namespace", "/chat") in labels)


@check
def a_scripted_session_is_counted_exactly():
    before = scrape()
    ann = socketio.Client(reconnection=False)
    bob = socketio.Client(reconnection=False)
    ann.connect(BASE, namespaces=["/chat"], transports=["websocket"], wait_timeout=5)
    bob.connect(BASE, namespaces=["/chat"], transports=["polling"], wait_timeout=5)
    during = scrape()
    expect_equal(value(during, "flagon_socketio_connected_clients", namespace="/chat", transport="websocket"), 1)
    expect_equal(value(during, "flagon_socketio_connected_clients", namespace="/chat", transport="polling"), 1)
    expect_equal(ann.call("login", "ann", namespace="/chat", timeout=5)["ok"], True)
    expect_equal(ann.call("join", "r", namespace="/chat", timeout=5)["ok"], True)
    expect_equal(ann.call("say", "hi", namespace="/chat", timeout=5)["ok"], True)
    expect_equal(ann.call("say", 5, namespace="/chat", timeout=5)["error"], "invalid_arguments")
    expect_equal(bob.call("say", "sneaky", namespace="/chat", timeout=5)["error"], "method_access_denied")
    ann.disconnect()
    bob.disconnect()
    deadline = time.time() + 5
    while True:   # the server sees the disconnects a moment later
        after = scrape()
        if disconnects(after) - disconnects(before) >= 2 or time.time() > deadline:
            break
        time.sleep(0.05)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    expect_equal(delta("flagon_engineio_handshakes_total"), 2)
    expect_equal(delta("flagon_engineio_upgrades_total"), 0)   # websocket from the start, polling without upgrade
    expect_equal(delta("flagon_socketio_events_received_total", namespace="/chat"), 5)
    expect_equal(delta("flagon_socketio_refused_events_total", namespace="/chat", kind="invalid_arguments"), 1)
    expect_equal(delta("flagon_socketio_refused_events_total", namespace="/chat", kind="method_access_denied"), 1)
    expect_equal(delta("flagon_socketio_refused_events_total", namespace="/chat", kind="rate_limited"), 0)
    # python-socketio sends DISCONNECT, then closes the transport: either may reach the server first.
    expect_equal(disconnects(after) - disconnects(before), 2)
    expect(delta("flagon_socketio_disconnects_total", namespace="/chat", reason="client namespace disconnect") >= 1, "no DISCONNECT counted")
    expect_equal(value(after, "flagon_socketio_connected_clients", namespace="/chat", transport="websocket"), 0)
    expect_equal(value(after, "flagon_socketio_connected_clients", namespace="/chat", transport="polling"), 0)
    expect_equal(value(after, "flagon_socketio_acks_pending", namespace="/chat"), 0)
    # Replies: 5 acks, 2 error events, "joined" and "said" to ann's room.
    expect_equal(delta("flagon_socketio_packets_sent_total", namespace="/chat"), 9)
    expect(delta("flagon_engineio_received_bytes_total") > 0 and delta("flagon_engineio_sent_bytes_total") > 0, "no bytes counted")
    expect(delta("flagon_http_responses_total", status="200") >= 3, "HTTP responses not counted")
    expect_equal(delta("flagon_http_responses_total", status="101"), 1)   # ann's WebSocket
    expect(value(after, "flagon_loop_lag_seconds_count") > 0, "the loop's lag is not measured")
    expect(value(after, "flagon_loop_lag_seconds_bucket", le="+Inf") == value(after, "flagon_loop_lag_seconds_count"), "histogram")


@check
def the_grafana_dashboard_names_only_metrics_that_exist():
    import json
    import os
    import re
    path = os.path.join(os.path.dirname(__file__), "..", "..", "Examples", "grafana", "flagon-dashboard.json")
    with open(path) as f:
        dashboard = json.load(f)
    used = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used.update(re.findall(r"flagon_[a-z_]+", target["expr"]))
    text = requests.get(BASE + "/metrics", timeout=5).text
    served = {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}
    missing = sorted(name for name in used if name not in served and not name.startswith("flagon_redis_"))
    expect(not missing, f"the dashboard names metrics the demo does not serve: {missing}")


if __name__ == "__main__":
    run(per_check_timeout=60)
