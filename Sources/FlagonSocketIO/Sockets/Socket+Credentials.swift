import FlagonJSON
import FlagonLoop

/// Credentials that expire while a socket stays connected: when they will, and the scopes
/// they grant (which controllers may require, ``NamespaceControllerBase/requiredScopes``).
public struct SocketCredentials: Sendable, Equatable {
    /// When they expire, in milliseconds since 1970 (a wall-clock time, so that it means
    /// the same on the server a socket is recovered on).
    public var expiresAt: Int
    /// What they allow.
    public var scopes: Set<String>

    public init(expiresAt: Int, scopes: Set<String> = []) {
        self.expiresAt = expiresAt
        self.scopes = scopes
    }

    /// Credentials valid for `milliseconds` from now.
    public static func valid(for milliseconds: Int, scopes: Set<String> = []) -> SocketCredentials {
        SocketCredentials(expiresAt: WallClock.milliseconds + milliseconds, scopes: scopes)
    }

    /// As JSON, for the recovery stores.
    public var json: JSONValue { ["exp": .int(expiresAt), "scopes": .array(scopes.sorted().map(JSONValue.string))] }

    /// From ``json``; `nil` when it is not that.
    public init?(json: JSONValue?) {
        guard let expiresAt = json?["exp"]?.intValue, case .array(let scopes)? = json?["scopes"] else { return nil }
        self.init(expiresAt: expiresAt, scopes: Set(scopes.compactMap(\.stringValue)))
    }
}

/// Expiring credentials: a connect handler gives a socket credentials that expire; before
/// they do, the client gets ``Namespace/credentialsExpiringEvent`` (`{"inMs": <ms left>}`)
/// once, at max(T − 1 s, T / 2) of a validity of T; it refreshes in-band with an event of
/// the app's that checks the new token and grants again (a refusal keeps the old expiry);
/// at expiry without a refresh it gets ``Namespace/credentialsExpiredEvent`` (`{}`) and is
/// disconnected from the namespace (reason ``DisconnectReason/credentialsExpired``). A
/// recovered socket keeps its credentials.
///
/// ```swift
/// sio.of("/live").onConnection { socket in socket.grantCredentials(.valid(for: 60_000, scopes: ["chat"])) }
/// sio.of("/live").on("refresh") { (socket: Socket, token: String) -> Bool in
///     guard let claims = verify(token) else { return false }   // refused: the old expiry stands
///     socket.grantCredentials(.valid(for: claims.lifetime, scopes: claims.scopes))
///     return true
/// }
/// ```
extension Socket {
    /// The socket's credentials; `nil` when it was given none (they never expire).
    public var credentials: SocketCredentials? { storedCredentials }

    /// Whether the socket's credentials grant `scope`.
    public func hasScope(_ scope: String) -> Bool { storedCredentials?.scopes.contains(scope) ?? false }

    /// Gives the socket credentials (again): the warning and the expiry are scheduled from now.
    public func grantCredentials(_ credentials: SocketCredentials) {
        guard isConnected || connecting else { return }
        storedCredentials = credentials
        scheduleCredentialsTimer(warned: false)
        saveConnectedState()
    }

    /// Takes the credentials away: they no longer expire, and grant nothing.
    public func revokeCredentials() {
        credentialsTimer?.close()
        credentialsTimer = nil
        storedCredentials = nil
    }

    /// Arms the timer: the warning first (unless given), then the expiry.
    func scheduleCredentialsTimer(warned: Bool) {
        credentialsTimer?.close()
        credentialsTimer = nil
        guard let credentials = storedCredentials else { return }
        let left = max(0, credentials.expiresAt - WallClock.milliseconds)
        let warnIn = max(left - 1000, left / 2)
        let timer = LoopTimer { [weak self] in self?.credentialsTimerFired(warned: warned) }
        timer.unref()
        timer.start(afterMilliseconds: UInt64(warned || left == 0 ? left : warnIn))
        credentialsTimer = timer
    }

    private func credentialsTimerFired(warned: Bool) {
        guard let credentials = storedCredentials, isConnected || connecting else { return }
        if connecting {   // the connect handlers still run: once it is connected
            let timer = LoopTimer { [weak self] in self?.credentialsTimerFired(warned: warned) }
            timer.unref()
            timer.start(afterMilliseconds: 10)
            credentialsTimer?.close()
            credentialsTimer = timer
            return
        }
        let left = credentials.expiresAt - WallClock.milliseconds
        if left > 0 {
            if !warned { emit(namespace.credentialsExpiringEvent, ["inMs": .int(left)]) }
            scheduleCredentialsTimer(warned: true)
            return
        }
        credentialsTimer?.close()
        credentialsTimer = nil
        namespace.counters.value.expiredCredentials += 1
        emit(namespace.credentialsExpiredEvent, .object([:]))
        disconnect(reason: .credentialsExpired)
    }
}
