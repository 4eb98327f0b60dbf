// ProtocolHandler: one client's connection, as a SwiftNIO user writes it.
//
// Put it next to Part 4's Connection (Sources/Part4Epoll/Connection.swift). There, the event loop
// calls `readAvailable` when epoll says the socket is readable, and the connection buffers its
// replies until the socket takes them. Here NIO's event loop does the reading and the buffering;
// the handler only hears about it: `channelRead` with the bytes of one read, `channelReadComplete`
// when the loop has done the reads it will do for this event, `channelWritabilityChanged` when the
// buffered replies cross a water mark. The protocol machine is the same value Part 4 holds.
//
// Back-pressure, the NIO way: NIO reads a channel only when something in the pipeline asks it to
// (`read`, sent outbound, which with autoRead on the channel itself sends after each read burst).
// This handler holds that request back while the channel is not writable — more than the high
// water mark (64 KiB by default) of replies waiting for the client — and lets it through when the
// channel becomes writable again. That is what NIO's own BackPressureHandler does; here it is in
// the open, a dozen lines.

import NIOConcurrencyHelpers
import NIOCore
import ServerCore

/// Tells a handler that the server is shutting down and the drain is over.
struct ServerShutdownEvent: Sendable {}

/// Sessions the server ended, as the log line words them.
struct IdleTimeout: Error, CustomStringConvertible {
    var seconds: Double
    var description: String { "idle for \(seconds) s" }
}

struct ServerShutdown: Error, CustomStringConvertible {
    var description: String { "closed at shutdown" }
}

final class ProtocolHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine = ProtocolMachine()
    private var summary = SessionSummary()
    private var peer = "?"
    /// A `read` held back while the channel was not writable.
    private var readPending = false
    private let stats: ServerStats
    private let channels: LiveChannels
    private let idleTimeout: Double?

    init(stats: ServerStats, channels: LiveChannels, idleTimeout: Double?) {
        self.stats = stats
        self.channels = channels
        self.idleTimeout = idleTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress.map { formatted($0) } ?? "?"
        channels.add(context.channel)
        stats.clientConnected()
        Log.line("\(peer) connected (\(stats.connected) active)")
        var greeting = context.channel.allocator.buffer(capacity: 1)
        greeting.writeInteger(ProtocolMachine.greeting)
        summary.bytesOut += 1
        context.writeAndFlush(wrapOutboundOut(greeting), promise: nil)
        context.fireChannelActive()
    }

    // snippet: channel-read
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let input = unwrapInboundIn(data)
        summary.bytesIn += input.readableBytes
        var reply = context.channel.allocator.buffer(capacity: input.readableBytes)
        input.withUnsafeReadableBytes { bytes in
            _ = reply.writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count) { out in
                var count = 0
                for byte in bytes {
                    if let answer = machine.step(byte) {
                        out[count] = answer
                        count += 1
                    }
                }
                return count
            }
        }
        guard reply.readableBytes > 0 else { return }
        summary.bytesOut += reply.readableBytes
        context.write(wrapOutboundOut(reply), promise: nil)  // queued in the channel, not yet sent
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()  // one flush (one writev) for everything this read burst earned
        context.fireChannelReadComplete()
    }
    // end snippet

    // snippet: back-pressure
    /// NIO asks for more bytes; let it, unless the client is not taking its replies.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readPending = true  // stop reading this client until it drains its replies
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && readPending {
            readPending = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }
    // end snippet

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            summary.error = IdleTimeout(seconds: idleTimeout ?? 0)
            context.close(promise: nil)
        } else if event is ServerShutdownEvent {
            summary.error = ServerShutdown()
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        summary.error = error  // a reset, a broken pipe: this client's end, nobody else's
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        channels.remove(context.channel)
        stats.clientDisconnected(bytesAnswered: summary.bytesOut)
        Log.line("\(peer) disconnected (\(summary.description))")
        context.fireChannelInactive()
    }
}

/// The listening channel's handler: logs a failed accept (out of descriptors) once per shortage.
/// NIO's AcceptBackoffHandler, in front of it, stops accepting for a second after such a failure.
final class AcceptErrorLogger: ChannelInboundHandler {
    typealias InboundIn = any Channel
    private var shortageLogged = false
    private let stats: ServerStats

    init(stats: ServerStats) {
        self.stats = stats
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        shortageLogged = false  // a client accepted: the shortage is over
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !shortageLogged {
            Log.line("\(error); \(stats.connected) clients connected; accepting again after a pause")
            shortageLogged = true
        }
        context.fireErrorCaught(error)
    }
}

/// `127.0.0.1:52144` or `[::1]:52144`, as every server prints a peer.
func formatted(_ address: NIOCore.SocketAddress) -> String {
    let host = address.ipAddress ?? "?"
    let port = address.port.map(String.init) ?? "?"
    if case .v6 = address { return "[\(host)]:\(port)" }
    return "\(host):\(port)"
}

/// The open client channels, so that the shutdown can end those still open after the drain.
final class LiveChannels: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        channels.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
    }

    func remove(_ channel: any Channel) {
        channels.withLockedValue { $0[ObjectIdentifier(channel)] = nil }
    }

    var all: [any Channel] { channels.withLockedValue { Array($0.values) } }
}
