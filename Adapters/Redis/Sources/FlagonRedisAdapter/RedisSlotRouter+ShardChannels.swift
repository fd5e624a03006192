import FlagonLoop

/// Shard channels (`SSUBSCRIBE`) on a Redis Cluster: each followed on the primary that serves
/// its slot, moved when the slot moves, taken again when a node ends or refuses a subscription.
extension RedisSlotRouter {
    /// Follows a shard channel on the node that serves its slot, wherever that moves.
    func subscribeShard(_ channel: String) {
        wantedShardChannels.insert(channel)
        reconcile(channel)
    }

    /// Stops following a shard channel.
    func unsubscribeShard(_ channel: String) {
        wantedShardChannels.remove(channel)
        if let node = shardChannelNode.removeValue(forKey: channel) {
            subscriberLinks[node]?.connection?.send([Array("SUNSUBSCRIBE".utf8), Array(channel.utf8)], replies: 0)
        }
    }

    /// How many shard channels are followed on the node that serves them.
    var subscribedShardChannelCount: Int { shardChannelNode.count }

    func reconcileShardChannels() {
        for channel in wantedShardChannels { reconcile(channel) }
    }

    func reconcile(_ channel: String) {
        guard wantedShardChannels.contains(channel), !closed else { return }
        let slot = RedisClusterTopology.slot(of: channel)
        guard let owner = topology.primary(forSlot: slot) else { return fault("slot \(slot) has no primary") }
        let current = shardChannelNode[channel]
        if current == owner { return }
        if let current {
            subscriberLinks[current]?.connection?.send([Array("SUNSUBSCRIBE".utf8), Array(channel.utf8)], replies: 0)
            shardChannelNode[channel] = nil
        }
        let link = subscriberLinks[owner] ?? NodeLink()
        subscriberLinks[owner] = link
        guard let connection = link.connection else {
            if !link.opening, EventLoop.shared.nowMilliseconds >= link.retryAt { open(link, to: owner, subscriber: true) }
            return   // subscribed once the connection is open
        }
        if connection.send([Array("SSUBSCRIBE".utf8), Array(channel.utf8)], replies: 0) { shardChannelNode[channel] = owner }
    }

    func subscriptionEvent(_ kind: String, _ channel: String, on node: RedisClusterNode) {
        // A node that stops serving a slot ends its shard channels' subscriptions by itself.
        guard kind == "sunsubscribe", shardChannelNode[channel] == node, wantedShardChannels.contains(channel) else { return }
        shardChannelNode[channel] = nil
        fault("the cluster node \(node) ended the subscription to \(channel)")
    }

    func subscriptionError(_ message: String, on node: RedisClusterNode) {
        // The channel is not named in the error: whichever ones were sent there are taken again.
        if case .moved(let slot, let owner)? = RedisClusterRedirect(error: message, from: node) { topology.assign(slot: slot, to: owner) }
        for (channel, owner) in shardChannelNode where owner == node {
            let slot = RedisClusterTopology.slot(of: channel)
            if topology.primary(forSlot: slot) != node { shardChannelNode[channel] = nil }
        }
        fault("a subscription on \(node) was refused: \(message)")
    }
}
