// SocketAddress: an IPv4 or IPv6 address and port, as the kernel hands them to us.
//
// Servers log the peer of every connection (`127.0.0.1:53422 connected`), and the client and
// the tests resolve `--host` through it. `getaddrinfo` and `getnameinfo` do the work, so
// `localhost`, `127.0.0.1` and `::1` all behave as a C programmer would expect.

import Glibc

/// A socket address (`sockaddr_in` or `sockaddr_in6`), kept in a `sockaddr_in6`: the larger of
/// the two families a server here accepts. (A `sockaddr_storage` would fit any family, at 128
/// bytes instead of 28; a server keeps one address per client, so the difference is memory per
/// connection, which Chapter 5 counts.)
public struct SocketAddress: Sendable, CustomStringConvertible {
    public var storage = sockaddr_in6()

    /// The length of the address in `storage`, as C calls take it: known from the family, so
    /// not stored.
    public var length: socklen_t {
        socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }

    public init() {}

    /// Resolves a numeric or named host and a port, e.g. `("127.0.0.1", 9090)`.
    public init(host: String, port: UInt16, passive: Bool = false) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = passive ? AI_PASSIVE : 0
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw AddressError(host: host, reason: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }
        guard Int(first.pointee.ai_addrlen) <= MemoryLayout<sockaddr_in6>.size else {
            throw AddressError(host: host, reason: "not an IPv4 or IPv6 address")
        }
        withUnsafeMutableBytes(of: &storage) { destination in
            destination.copyMemory(
                from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
    }

    /// The address family, `AF_INET` or `AF_INET6`.
    public var family: Int32 { Int32(storage.sin6_family) }

    /// `127.0.0.1:9090` or `[::1]:9090`.
    public var description: String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let rc = withSockaddr { address, length in
            getnameinfo(address, length, &host, socklen_t(host.count), &service, socklen_t(service.count),
                        NI_NUMERICHOST | NI_NUMERICSERV)
        }
        guard rc == 0 else { return "<unknown address>" }
        let hostText = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let portText = String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return family == AF_INET6 ? "[\(hostText)]:\(portText)" : "\(hostText):\(portText)"
    }

    // snippet: port
    /// The port in host byte order.
    public var port: UInt16 {
        withSockaddr { address, _ in
            if Int32(address.pointee.sa_family) == AF_INET6 {
                return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }
    // end snippet

    /// Lends empty space to a C call that fills in an address, as `(struct sockaddr *, socklen_t *)`
    /// (`accept`, `getsockname`). The kernel truncates an address of another, larger family.
    public mutating func withMutableSockaddr<R>(
        _ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) throws -> R
    ) rethrows -> R {
        var storage = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let result = try withUnsafeMutablePointer(to: &storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, &length) }
        }
        self.storage = storage
        return result
    }

    /// Lends the address to a C call as `(const struct sockaddr *, socklen_t)`.
    public func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        var copy = storage
        return try withUnsafePointer(to: &copy) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }
}

/// A host name that could not be resolved.
public struct AddressError: Error, CustomStringConvertible {
    public let host: String
    public let reason: String
    public var description: String { "cannot resolve host '\(host)': \(reason)" }
}
