import FlagonLoop

// A TLSEngine is the layer a TCPStream is secured with.
extension TLSEngine: StreamSecurity {}
