"""Wire-level checks of the conformance server (Engine.IO v4 and Socket.IO v5 on /engine.io/
and /socket.io/), written from the protocol specifications and the conformance contract.
Usage: python protocol_checks.py http://127.0.0.1:PORT [check names...]"""
import json
import sys
import threading
import time

import requests
import websocket

from checklib import check, expect, expect_equal, run

BASE = sys.argv[1].rstrip("/")
WS_BASE = BASE.replace("http", "ws", 1)
PING_INTERVAL, PING_TIMEOUT = 0.3, 0.2
RS = "\x1e"


def url(path, **query):
    query.setdefault("EIO", "4")
    parts = "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
    return f"{BASE}{path}?{parts}"


def ws_url(path, **query):
    return url(path, **query).replace("http", "ws", 1)


def open_polling(path="/engine.io/"):
    response = requests.get(url(path, transport="polling"), timeout=5)
    expect_equal(response.status_code, 200)
    expect(response.text.startswith("0"), response.text)
    return json.loads(response.text[1:])


def open_ws(path="/engine.io/", sid=None):
    ws = websocket.create_connection(ws_url(path, transport="websocket", sid=sid), timeout=5)
    return ws


def recv_non_ping(ws):
    while True:
        opcode, data = ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_TEXT and data == b"2":
            continue
        return opcode, data


def wait_closed(ws, within=3.0):
    ws.settimeout(within)
    deadline = time.time() + within
    try:
        while time.time() < deadline:
            opcode, _ = ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return True
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        return True
    except websocket.WebSocketTimeoutException:
        return False
    return False


# 2.1 / 2.2 handshake and validation


@check
def polling_handshake_has_exactly_the_five_keys():
    for path in ["/engine.io/", "/socket.io/"]:
        value = open_polling(path)
        expect_equal(sorted(value), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"])
        expect_equal(value["upgrades"], ["websocket"])
        expect_equal((value["pingInterval"], value["pingTimeout"], value["maxPayload"]), (300, 200, 1000000))


@check
def websocket_handshake_offers_no_upgrades():
    ws = open_ws()
    data = ws.recv()
    expect(data.startswith("0"), data)
    value = json.loads(data[1:])
    expect_equal(sorted(value), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"])
    expect_equal(value["upgrades"], [])
    ws.close()


@check
def session_ids_are_unique():
    ids = {open_polling()["sid"] for _ in range(20)}
    expect_equal(len(ids), 20)


@check
def invalid_queries_and_methods_get_400():
    for path in ["/engine.io/", "/socket.io/"]:
        expect_equal(requests.get(f"{BASE}{path}?transport=polling").status_code, 400)
        expect_equal(requests.get(f"{BASE}{path}?EIO=abc&transport=polling").status_code, 400)
        expect_equal(requests.get(f"{BASE}{path}?EIO=3&transport=polling").status_code, 400)
        expect_equal(requests.get(f"{BASE}{path}?EIO=4").status_code, 400)
        expect_equal(requests.get(f"{BASE}{path}?EIO=4&transport=abc").status_code, 400)
        expect_equal(requests.post(url(path, transport="polling")).status_code, 400)
        expect_equal(requests.put(url(path, transport="polling")).status_code, 400)
        expect_equal(requests.get(url(path, transport="polling", sid="nope")).status_code, 400)
        response = requests.get(url(path, transport="polling", sid="nope"))
        expect_equal(response.json(), {"code": 1, "message": "Session ID unknown"})


@check
def invalid_websocket_handshakes_are_refused():
    for query in ["transport=websocket", "EIO=abc&transport=websocket", "EIO=4", "EIO=4&transport=abc",
                  "EIO=4&transport=websocket&sid=unknown"]:
        try:
            ws = websocket.create_connection(f"{WS_BASE}/engine.io/?{query}", timeout=3)
            expect(wait_closed(ws), f"{query} stayed open")
        except websocket.WebSocketBadStatusException as error:
            expect_equal(error.status_code, 400)


# 2.3 / 2.4 / 2.6 messages over polling


@check
def polling_echo_of_text_and_binary():
    sid = open_polling()["sid"]
    response = requests.post(url("/engine.io/", transport="polling", sid=sid), data=f"4hello{RS}bAQIDBA==")
    expect_equal((response.status_code, response.text), (200, "ok"))
    response = requests.get(url("/engine.io/", transport="polling", sid=sid), timeout=5)
    expect_equal(response.text, f"4hello{RS}bAQIDBA==")


@check
def polling_payloads_carry_at_most_16_packets():
    sid = open_polling()["sid"]
    body = RS.join(f"4m{i}" for i in range(40))
    expect_equal(requests.post(url("/engine.io/", transport="polling", sid=sid), data=body).text, "ok")
    seen = []
    while len(seen) < 40:
        packets = requests.get(url("/engine.io/", transport="polling", sid=sid), timeout=5).text.split(RS)
        expect(len(packets) <= 16, f"{len(packets)} packets in one payload")
        seen += [p for p in packets if p != "2"]
        if "2" in packets:
            requests.post(url("/engine.io/", transport="polling", sid=sid), data="3")
    expect_equal(seen, [f"4m{i}" for i in range(40)])


@check
def a_poll_waits_for_the_ping_and_returns_exactly_2():
    sid = open_polling()["sid"]
    started = time.time()
    response = requests.get(url("/engine.io/", transport="polling", sid=sid), timeout=5)
    took = time.time() - started
    expect_equal(response.text, "2")
    expect(0.2 < took < 1.0, f"ping after {took:.3f}s")   # due at 0.3 s; slack for a loaded machine


@check
def polling_heartbeat_keeps_the_session_and_timeout_closes_it():
    sid = open_polling()["sid"]
    for _ in range(3):
        expect_equal(requests.get(url("/engine.io/", transport="polling", sid=sid), timeout=5).text, "2")
        expect_equal(requests.post(url("/engine.io/", transport="polling", sid=sid), data="3").text, "ok")
    sid2 = open_polling()["sid"]
    time.sleep(PING_INTERVAL + PING_TIMEOUT + 0.15)
    expect_equal(requests.get(url("/engine.io/", transport="polling", sid=sid2)).status_code, 400)


@check
def an_undecodable_post_closes_the_session():
    for body in ["abc", "9", ""]:
        sid = open_polling()["sid"]
        response = requests.post(url("/engine.io/", transport="polling", sid=sid), data=body)
        expect_equal(response.status_code, 400)
        expect_equal(requests.get(url("/engine.io/", transport="polling", sid=sid)).status_code, 400)


@check
def an_oversized_post_is_refused_and_closes_the_session():
    sid = open_polling()["sid"]
    try:
        response = requests.post(url("/engine.io/", transport="polling", sid=sid), data="4" + "x" * 1_000_001)
        expect(response.status_code in (400, 413), response.status_code)
    except requests.ConnectionError:
        pass
    expect_equal(requests.get(url("/engine.io/", transport="polling", sid=sid)).status_code, 400)


@check
def a_second_concurrent_poll_closes_the_session():
    sid = open_polling()["sid"]
    results = {}

    def first():
        results["first"] = requests.get(url("/engine.io/", transport="polling", sid=sid), timeout=5)

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.05)
    second = requests.get(url("/engine.io/", transport="polling", sid=sid, t="burst"), timeout=5)
    thread.join()
    expect_equal((results["first"].status_code, results["first"].text), (200, "1"))
    expect(second.status_code in (400, 500), second.status_code)
    expect_equal(requests.get(url("/engine.io/", transport="polling", sid=sid)).status_code, 400)


@check
def a_close_packet_answers_the_pending_poll_with_noop():
    sid = open_polling()["sid"]
    results = {}

    def poll():
        results["poll"] = requests.get(url("/engine.io/", transport="polling", sid=sid), timeout=5)

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.05)
    expect_equal(requests.post(url("/engine.io/", transport="polling", sid=sid), data="1").status_code, 200)
    thread.join()
    expect_equal(results["poll"].text, "6")
    expect_equal(requests.get(url("/engine.io/", transport="polling", sid=sid)).status_code, 400)


@check
def cors_headers_and_preflight():
    origin = "https://example.com"
    response = requests.get(url("/engine.io/", transport="polling"), headers={"Origin": origin})
    expect(response.headers.get("Access-Control-Allow-Origin") in (origin, "*"), response.headers)
    preflight = requests.options(url("/engine.io/", transport="polling"), headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    expect(preflight.status_code in (200, 204), preflight.status_code)
    expect(preflight.headers.get("Access-Control-Allow-Origin") in (origin, "*"))
    methods = preflight.headers.get("Access-Control-Allow-Methods", "")
    expect("GET" in methods and "POST" in methods or methods == "*", methods)
    allowed = preflight.headers.get("Access-Control-Allow-Headers", "").lower()
    expect("content-type" in allowed or allowed == "*", allowed)
    ws = websocket.create_connection(ws_url("/engine.io/", transport="websocket"), timeout=5, origin="https://elsewhere.example")
    expect(ws.recv().startswith("0"))
    ws.close()


# 2.6 / 2.7 WebSocket


@check
def websocket_echo_of_text_and_binary():
    ws = open_ws()
    ws.recv()
    ws.send("4hello")
    expect_equal(recv_non_ping(ws), (websocket.ABNF.OPCODE_TEXT, b"4hello"))
    ws.send_binary(bytes([1, 2, 3, 4]))
    expect_equal(recv_non_ping(ws), (websocket.ABNF.OPCODE_BINARY, bytes([1, 2, 3, 4])))
    ws.close()


@check
def websocket_invalid_packets_close_the_connection():
    for bad in ["abc", "", "9"]:
        ws = open_ws()
        ws.recv()
        ws.send(bad)
        started = time.time()
        expect(wait_closed(ws, 2.0), f"{bad!r} did not close")
        expect(time.time() - started < 0.6, "close was not prompt")


@check
def websocket_oversized_message_closes_the_connection():
    ws = open_ws()
    ws.recv()
    try:
        ws.send("4" + "x" * 1_000_001)
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        return   # closed while the frame was still going out (over TLS the close comes sooner)
    expect(wait_closed(ws, 2.0))


@check
def websocket_close_packet_closes_promptly():
    ws = open_ws()
    ws.recv()
    ws.send("1")
    expect(wait_closed(ws, 1.0))


@check
def websocket_heartbeat_pings_and_times_out():
    ws = open_ws()
    ws.recv()
    for _ in range(3):
        started = time.time()
        expect_equal(ws.recv(), "2")
        expect(time.time() - started < 0.8)
        ws.send("3")
    started = time.time()
    expect(wait_closed(ws, 2.0), "not closed after a missed pong")
    expect(time.time() - started < 1.5)


# 2.9 upgrade


@check
def upgrade_from_polling_to_websocket():
    sid = open_polling()["sid"]
    expect_equal(requests.post(url("/engine.io/", transport="polling", sid=sid), data="4queued").text, "ok")
    results = {}
    # The queued message is taken by this first poll; queue another one for the WebSocket.
    expect_equal(requests.get(url("/engine.io/", transport="polling", sid=sid), timeout=5).text, "4queued")

    def poll():
        results["poll"] = requests.get(url("/engine.io/", transport="polling", sid=sid), timeout=5)

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.05)
    ws = open_ws(sid=sid)
    ws.send("2probe")
    expect_equal(ws.recv(), "3probe")
    thread.join()
    expect_equal(results["poll"].text, "6")
    expect_equal(requests.get(url("/engine.io/", transport="polling", sid=sid), timeout=5).text, "6")
    requests.post(url("/engine.io/", transport="polling", sid=sid), data="4before")
    ws.send("5")
    expect_equal(recv_non_ping(ws), (websocket.ABNF.OPCODE_TEXT, b"4before"))
    ws.send("4hello")
    expect_equal(recv_non_ping(ws), (websocket.ABNF.OPCODE_TEXT, b"4hello"))
    # After the upgrade: HTTP requests with the sid get 400, a second WebSocket is refused.
    expect_equal(requests.get(url("/engine.io/", transport="polling", sid=sid)).status_code, 400)
    expect_equal(requests.post(url("/engine.io/", transport="polling", sid=sid), data="4x").status_code, 400)
    try:
        second = websocket.create_connection(ws_url("/engine.io/", transport="websocket", sid=sid), timeout=3)
        expect(wait_closed(second))
    except websocket.WebSocketBadStatusException as error:
        expect_equal(error.status_code, 400)
    ws.send("4still")
    expect_equal(recv_non_ping(ws), (websocket.ABNF.OPCODE_TEXT, b"4still"))
    ws.close()


# 3. Socket.IO


def sio_ws():
    ws = open_ws("/socket.io/")
    ws.recv()
    return ws


def sio_connect(namespace="", auth=None):
    ws = sio_ws()
    ws.send("40" + (namespace + "," if namespace else "") + (json.dumps(auth, separators=(",", ":")) if auth is not None else ""))
    return ws


@check
def connect_to_main_and_custom_namespaces_with_auth():
    for namespace, auth, expected_auth in [("", None, "{}"), ("", {"token": "123"}, '{"token":"123"}'),
                                           ("/custom", None, "{}"), ("/custom", {"token": "abc"}, '{"token":"abc"}')]:
        ws = sio_connect(namespace, auth)
        _, data = recv_non_ping(ws)
        prefix = "40" + (namespace + "," if namespace else "")
        expect(data.decode().startswith(prefix), data)
        handshake = json.loads(data.decode()[len(prefix):])
        expect_equal(list(handshake), ["sid"])
        _, data = recv_non_ping(ws)
        expect_equal(data.decode(), "42" + (namespace + "," if namespace else "") + f'["auth",{expected_auth}]')
        ws.close()


@check
def namespace_without_trailing_comma_and_unknown_namespace():
    ws = sio_ws()
    ws.send("40/custom")
    _, data = recv_non_ping(ws)
    expect(data.decode().startswith("40/custom,{"), data)
    ws.send("40/random")
    recv_non_ping(ws)   # the auth event of /custom
    _, data = recv_non_ping(ws)
    expect_equal(data.decode(), '44/random,{"message":"Invalid namespace"}')
    ws.close()


@check
def admin_requires_the_secret_token():
    ws = sio_connect("/admin", {"token": "wrong"})
    expect_equal(recv_non_ping(ws)[1].decode(), '44/admin,{"message":"unauthorized"}')
    ws.send("40/admin")
    expect_equal(recv_non_ping(ws)[1].decode(), '44/admin,{"message":"unauthorized"}')
    ws.send('40/admin,{"token":"secret"}')
    expect(recv_non_ping(ws)[1].decode().startswith("40/admin,{"))
    ws.send('42/admin,1["whoami"]')
    expect_equal(recv_non_ping(ws)[1].decode(), '43/admin,1[{"role":"admin"}]')
    ws.close()


@check
def events_and_acks_keep_exact_json():
    ws = sio_connect()
    recv_non_ping(ws), recv_non_ping(ws)
    ws.send('42["message",1,"2",{"3":[true]}]')
    expect_equal(recv_non_ping(ws)[1].decode(), '42["message-back",1,"2",{"3":[true]}]')
    ws.send('42456["message-with-ack",1,"2",{"3":[false]}]')
    expect_equal(recv_non_ping(ws)[1].decode(), '43456[1,"2",{"3":[false]}]')
    ws.send('427["message-with-ack"]')
    expect_equal(recv_non_ping(ws)[1].decode(), "437[]")
    ws.close()


@check
def binary_attachments_both_ways():
    ws = sio_connect()
    recv_non_ping(ws), recv_non_ping(ws)
    ws.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    ws.send_binary(bytes([1, 2, 3]))
    ws.send_binary(bytes([4, 5, 6]))
    expect_equal(recv_non_ping(ws)[1].decode(), '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    expect_equal(recv_non_ping(ws), (websocket.ABNF.OPCODE_BINARY, bytes([1, 2, 3])))
    expect_equal(recv_non_ping(ws), (websocket.ABNF.OPCODE_BINARY, bytes([4, 5, 6])))
    ws.send('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    ws.send_binary(bytes([1, 2, 3]))
    ws.send_binary(bytes([4, 5, 6]))
    expect_equal(recv_non_ping(ws)[1].decode(), '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    expect_equal(recv_non_ping(ws)[1], bytes([1, 2, 3]))
    expect_equal(recv_non_ping(ws)[1], bytes([4, 5, 6]))
    ws.close()


@check
def server_asks_for_an_ack_and_reports_the_result():
    ws = sio_connect()
    recv_non_ping(ws), recv_non_ping(ws)
    ws.send('42["request-ack",1,"a"]')
    text = recv_non_ping(ws)[1].decode()
    expect(text.startswith("42") and text.endswith('["ack-request",1,"a"]'), text)
    ack_id = text[2:text.index("[")]
    expect(ack_id.isdigit(), text)
    ws.send(f'43{ack_id}[{{"r":true}},2]')
    expect_equal(recv_non_ping(ws)[1].decode(), '42["ack-result",{"r":true},2]')
    ws.close()


@check
def client_disconnect_keeps_the_connection_and_other_namespaces():
    ws = sio_connect()
    recv_non_ping(ws), recv_non_ping(ws)
    ws.send("40/custom")
    recv_non_ping(ws), recv_non_ping(ws)
    ws.send("41/custom")
    ws.send('42["message","message to main namespace"]')
    expect_equal(recv_non_ping(ws)[1].decode(), '42["message-back","message to main namespace"]')
    ws.send("40/custom,")
    expect(recv_non_ping(ws)[1].decode().startswith("40/custom,{"))
    ws.close()


@check
def server_disconnect_sends_41():
    ws = sio_connect()
    recv_non_ping(ws), recv_non_ping(ws)
    ws.send('42["disconnect-me"]')
    expect_equal(recv_non_ping(ws)[1].decode(), "41")
    ws.close()


@check
def invalid_socketio_packets_close_the_connection():
    for bad in ["4abc", "42{}", "42[]", '42abc["message-with-ack",1]', '42["message"', "40[]", '44{"message":"x"}']:
        ws = sio_connect()
        recv_non_ping(ws), recv_non_ping(ws)
        ws.send(bad)
        started = time.time()
        expect(wait_closed(ws, 2.0), f"{bad} did not close")
        expect(time.time() - started < 2.0)
    ws = sio_connect()
    recv_non_ping(ws), recv_non_ping(ws)
    ws.send_binary(bytes([1]))
    expect(wait_closed(ws, 2.0), "an unexpected binary message did not close")


@check
def an_invalid_handshake_closes_the_connection():
    ws = sio_ws()
    ws.send("4abc")
    expect(wait_closed(ws, 2.0))


@check
def a_client_that_never_connects_is_closed():
    ws = sio_ws()
    started = time.time()
    deadline = time.time() + 3
    closed = False
    ws.settimeout(3)
    try:
        while time.time() < deadline:
            opcode, data = ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                closed = True
                break
            if data == b"2":
                ws.send("3")   # answering pings does not keep it alive
    except (websocket.WebSocketConnectionClosedException, OSError):
        closed = True
    expect(closed, "not closed")
    took = time.time() - started
    expect(0.9 < took < 2.5, f"closed after {took:.2f}s")


# 6.3 /acl


DENIED = '{"error":"method_access_denied","event":"%s","message":"You do not have access to method \\"%s\\""}'


@check
def acl_denies_until_login_and_resets_at_logout():
    ws = sio_connect("/acl")
    expect(recv_non_ping(ws)[1].decode().startswith("40/acl,{"))
    ws.send('42/acl,1["secret"]')
    expect_equal(recv_non_ping(ws)[1].decode(), '42/acl,["method_access_denied",%s]' % (DENIED % ("secret", "secret")))
    expect_equal(recv_non_ping(ws)[1].decode(), '43/acl,1[%s]' % (DENIED % ("secret", "secret")))
    ws.send('42/acl,["no-such-event"]')
    expect_equal(recv_non_ping(ws)[1].decode(), '42/acl,["method_access_denied",%s]' % (DENIED % ("no-such-event", "no-such-event")))
    ws.send('42/acl,2["login",{"user":"ada","password":"wrong"}]')
    expect_equal(recv_non_ping(ws)[1].decode(), '43/acl,2[{"ok":false,"error":"invalid credentials"}]')
    ws.send('42/acl,3["login",{"user":"ada","password":"letmein"}]')
    expect_equal(recv_non_ping(ws)[1].decode(), '43/acl,3[{"ok":true,"user":"ada"}]')
    ws.send('42/acl,4["whoami"]')
    expect_equal(recv_non_ping(ws)[1].decode(), '43/acl,4[{"user":"ada"}]')
    ws.send('42/acl,5["secret"]')
    expect_equal(recv_non_ping(ws)[1].decode(), '43/acl,5[{"secret":"42","calls":1}]')
    ws.send('42/acl,6["logout"]')
    expect_equal(recv_non_ping(ws)[1].decode(), '43/acl,6[{"ok":true}]')
    ws.send('42/acl,7["secret"]')
    expect_equal(recv_non_ping(ws)[1].decode(), '42/acl,["method_access_denied",%s]' % (DENIED % ("secret", "secret")))
    expect_equal(recv_non_ping(ws)[1].decode(), '43/acl,7[%s]' % (DENIED % ("secret", "secret")))
    ws.send('42/acl,8["login",{"user":"bob","password":"letmein"}]')
    expect_equal(recv_non_ping(ws)[1].decode(), '43/acl,8[{"ok":true,"user":"bob"}]')
    ws.send('42/acl,9["secret"]')
    expect_equal(recv_non_ping(ws)[1].decode(), '43/acl,9[{"secret":"42","calls":2}]')   # a denied call did not count
    ws.close()


if __name__ == "__main__":
    run(set(sys.argv[2:]) or None)
