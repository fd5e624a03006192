import Flagon

/// Counters of an ``EngineServer``, since it started.
public struct EngineStatistics: Sendable, Equatable {
    /// Sessions opened (handshakes answered).
    public var handshakes = 0
    /// Sessions moved from long-polling to WebSocket.
    public var upgrades = 0
    /// Bytes received from clients (WebSocket frames' payloads and polling bodies).
    public var bytesReceived = 0
    /// Bytes of messages sent to clients (Socket.IO packets, encoded).
    public var bytesSent = 0
    /// Messages received from clients (Engine.IO message packets).
    public var messagesReceived = 0
    /// Messages sent to clients (each recipient counted).
    public var messagesSent = 0
    /// Sessions that ended, by reason (``EngineCloseReason``'s strings).
    public var closes: [String: Int] = [:]
}

/// Counters of a ``Namespace``, since it was declared.
public struct NamespaceStatistics: Sendable, Equatable {
    /// Events received from clients.
    public var eventsReceived = 0
    /// Packets delivered to clients (events, acks of broadcasts, each recipient counted).
    public var packetsSent = 0
    /// Events to slow clients dropped.
    public var droppedMessages = 0
    /// Client events refused, by kind: `method_access_denied`, `invalid_arguments`,
    /// `rate_limited`, `unknown_event`.
    public var refusedEvents: [String: Int] = [:]
    /// Sockets that left, by reason.
    public var disconnects: [String: Int] = [:]
    /// Acks that never came (the client did not answer in time).
    public var ackTimeouts = 0
    /// Connections that asked to recover a session and got it back.
    public var recoveries = 0
    /// Connections that asked to recover a session and got a fresh one.
    public var recoveryMisses = 0
    /// Sockets disconnected because their credentials expired.
    public var expiredCredentials = 0
}

extension SocketIOServer {
    /// Writes the server's metrics in the Prometheus format (``App/serveMetrics(at:)``
    /// collects them from every server attached to the app).
    public func writeMetrics(into out: inout PrometheusWriter) {
        let engineStats = engine.statistics
        out.counter("flagon_engineio_handshakes_total", help: "Engine.IO sessions opened.", value: engineStats.handshakes)
        out.counter("flagon_engineio_upgrades_total", help: "Sessions upgraded from long-polling to WebSocket.", value: engineStats.upgrades)
        out.counter("flagon_engineio_received_bytes_total", help: "Bytes received from clients.", value: engineStats.bytesReceived)
        out.counter("flagon_engineio_sent_bytes_total", help: "Bytes of messages sent to clients.", value: engineStats.bytesSent)
        out.counter("flagon_engineio_received_messages_total", help: "Messages received from clients.", value: engineStats.messagesReceived)
        out.counter("flagon_engineio_sent_messages_total", help: "Messages sent to clients, each recipient counted.",
                    value: engineStats.messagesSent)
        out.family("flagon_engineio_closes_total", type: .counter, help: "Engine.IO sessions that ended, by reason.")
        for (reason, count) in engineStats.closes.sorted(by: { $0.key < $1.key }) {
            out.sample("flagon_engineio_closes_total", labels: [("reason", reason)], value: count)
        }
        let groups = metricGroups()
        out.family("flagon_socketio_connected_clients", type: .gauge, help: "Connected sockets, by namespace and transport.")
        for (label, members) in groups {
            var polling = 0
            var websocket = 0
            for namespace in members {
                for socket in namespace.sockets.values { if socket.transport == .websocket { websocket += 1 } else { polling += 1 } }
            }
            out.sample("flagon_socketio_connected_clients", labels: [("namespace", label), ("transport", "polling")], value: polling)
            out.sample("flagon_socketio_connected_clients", labels: [("namespace", label), ("transport", "websocket")], value: websocket)
        }
        func perNamespace(_ name: String, _ help: String, _ type: PrometheusWriter.MetricType = .counter, _ value: (Namespace) -> Int) {
            out.family(name, type: type, help: help)
            for (label, members) in groups { out.sample(name, labels: [("namespace", label)], value: members.reduce(0) { $0 + value($1) }) }
        }
        perNamespace("flagon_socketio_events_received_total", "Events received from clients.") { $0.statistics.eventsReceived }
        perNamespace("flagon_socketio_packets_sent_total", "Packets delivered to clients, each recipient counted.") { $0.statistics.packetsSent }
        perNamespace("flagon_socketio_dropped_messages_total", "Events to slow clients dropped.") { $0.statistics.droppedMessages }
        perNamespace("flagon_socketio_acks_pending", "Acks the server waits for.", .gauge) { $0.sockets.values.reduce(0) { $0 + $1.pendingAckCount } }
        perNamespace("flagon_socketio_ack_timeouts_total", "Acks that did not come in time.") { $0.statistics.ackTimeouts }
        out.family("flagon_socketio_refused_events_total", type: .counter, help: "Client events refused, by namespace and kind.")
        for (label, members) in groups {
            for kind in ["invalid_arguments", "method_access_denied", "rate_limited", "unknown_event"] {
                out.sample("flagon_socketio_refused_events_total", labels: [("namespace", label), ("kind", kind)],
                           value: members.reduce(0) { $0 + ($1.statistics.refusedEvents[kind] ?? 0) })
            }
        }
        out.family("flagon_socketio_disconnects_total", type: .counter, help: "Sockets that left, by namespace and reason.")
        for (label, members) in groups {
            var byReason: [String: Int] = [:]
            for namespace in members { byReason.merge(namespace.statistics.disconnects, uniquingKeysWith: +) }
            for (reason, count) in byReason.sorted(by: { $0.key < $1.key }) {
                out.sample("flagon_socketio_disconnects_total", labels: [("namespace", label), ("reason", reason)], value: count)
            }
        }
        out.family("flagon_socketio_recoveries_total", type: .counter, help: "Connection state recoveries asked for, by result.")
        for (label, members) in groups {
            out.sample("flagon_socketio_recoveries_total", labels: [("namespace", label), ("result", "recovered")],
                       value: members.reduce(0) { $0 + $1.statistics.recoveries })
            out.sample("flagon_socketio_recoveries_total", labels: [("namespace", label), ("result", "fresh")],
                       value: members.reduce(0) { $0 + $1.statistics.recoveryMisses })
        }
    }

    /// The label value each namespace is reported under, in order: every declared namespace
    /// its own, the first ``SocketIOOptions/maxChildNamespaceMetricLabels`` children by name
    /// theirs, and the rest together.
    func metricGroups() -> [(label: String, members: [Namespace])] {
        let all = allNamespaces.filter { !$0.isParent }.sorted { $0.name < $1.name }
        var groups: [(label: String, members: [Namespace])] = []
        var children = 0
        var others: [Namespace] = []
        for namespace in all {
            if namespace.parent != nil {
                children += 1
                if children > options.maxChildNamespaceMetricLabels {
                    others.append(namespace)
                    continue
                }
            }
            groups.append((namespace.name, [namespace]))
        }
        if !others.isEmpty { groups.append((Self.otherChildrenLabel, others)) }
        return groups
    }

    /// The label of the children past the limit.
    static let otherChildrenLabel = "(other children)"
}
