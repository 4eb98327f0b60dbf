// Connection: everything the event loop remembers about one client between two events.
//
// A blocking server keeps a client's state on its thread's stack: where it is in the protocol,
// what it still has to write. Here one thread serves everyone, so that state moves into an
// object: the protocol machine, the replies the socket has not taken yet, and a few counters.
// The loop calls `readAvailable` when the socket is readable and `flush` when it is writable;
// neither ever blocks, because the socket is non-blocking and both stop at EAGAIN.

import CLinux
import Glibc
import ServerCore

final class Connection {
    let socket: Socket
    let peer: SocketAddress
    var machine = ProtocolMachine()
    /// Counts complete messages and says which cost `--work` (Chapter 8).
    var meter: WorkMeter

    /// A worker is doing this connection's work (`--offload`): until it is done, nothing is
    /// written (the replies wait behind the work) and nothing more is read.
    var workInFlight = false
    /// The loop has closed the connection; a job that comes back for it is dropped.
    var isClosed = false

    /// Replies not yet taken by the socket are `output[outputStart...]`.
    private var output: [UInt8] = []
    private var outputStart = 0

    /// The peer has closed its side; the connection ends once `output` is written.
    private(set) var peerClosed = false

    /// What the loop has registered with epoll for this socket (EPOLLIN, EPOLLOUT or both).
    var registeredEvents: UInt32 = 0

    private(set) var bytesIn = 0
    private(set) var bytesOut = 0

    init(socket: Socket, peer: SocketAddress, work: CPUWork) {
        self.socket = socket
        self.peer = peer
        meter = WorkMeter(work, phase: Int(socket.fd))
        output.append(ProtocolMachine.greeting)  // goes out with the first flush
    }

    /// Reply bytes waiting for room in the socket's send buffer.
    var pendingOutput: Int { output.count - outputStart }

    /// `12 bytes in, 9 bytes out`, the same words the blocking servers log.
    var summary: String { "\(bytesIn) bytes in, \(bytesOut) bytes out" }

    // snippet: wanted-events
    /// The events this connection should be watched for right now. Reading stops while the
    /// pending output is at the cap (back-pressure) and after the peer's EOF; EPOLLOUT is wanted
    /// only while something is waiting to be written, or a level-triggered loop would be woken
    /// on every pass by a socket that is almost always writable.
    func wantedEvents(maxPending: Int) -> UInt32 {
        var events: UInt32 = 0
        if workInFlight { return events }  // a worker has it; errors and hang-ups still wake us
        if !peerClosed && pendingOutput < maxPending { events |= EPOLLIN.rawValue }
        if pendingOutput > 0 { events |= EPOLLOUT.rawValue }
        return events
    }
    // end snippet

    // snippet: read-available
    /// Reads until the socket is drained (EAGAIN), the peer closes (`peerClosed`), the pending
    /// output reaches `maxPending`, or `maxReads` reads have been made; feeds every byte to the
    /// protocol machine and appends its replies to the output buffer. Never blocks. Messages
    /// that cost `--work` are worked here, or, when `offloading`, the read stops at once and
    /// returns how many costly messages the loop must hand to a worker (else 0).
    func readAvailable(into buffer: UnsafeMutableRawBufferPointer, maxPending: Int, maxReads: Int, offloading: Bool) throws -> Int {
        compactOutput()
        for _ in 0..<maxReads {
            // Each input byte earns at most one reply byte, so reading no more than the room
            // left under the cap keeps the pending output at or below `maxPending`.
            let room = min(buffer.count, maxPending - pendingOutput)
            if room <= 0 { return 0 }  // at the cap: wantedEvents drops EPOLLIN until it drains
            let count = Glibc.read(socket.fd, buffer.baseAddress, room)
            if count == 0 {
                peerClosed = true  // the client closed its side
                return 0
            }
            if count < 0 {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK { return 0 }  // drained for now
                if code == EINTR { continue }
                throw SystemCallError("read(2)", code: code)
            }
            bytesIn += count
            let completed = machine.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count]), into: &output)
            if completed > 0 && meter.work.isEnabled {
                let costly = meter.count(completed)
                if offloading && costly > 0 { return costly }  // for a worker; read no more until it is done
                meter.work.spend(messages: costly)  // here, on the loop's thread: everyone else waits
            }
        }
        // Used up this event's share; level-triggered, so if more is waiting epoll reports it again.
        return 0
    }
    // end snippet

    // snippet: flush
    /// Writes as much pending output as the socket takes now. A short write or EAGAIN is not
    /// an error: the rest stays in the buffer and the loop asks for EPOLLOUT.
    func flush() throws {
        guard !workInFlight else { return }  // these replies go out after the work
        while pendingOutput > 0 {
            let written = output.withUnsafeBytes { bytes in
                Glibc.write(socket.fd, bytes.baseAddress! + outputStart, bytes.count - outputStart)
            }
            if written < 0 {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK { return }  // the send buffer is full
                if code == EINTR { continue }
                throw SystemCallError("write(2)", code: code)  // EPIPE, ECONNRESET: the peer is gone
            }
            outputStart += written
            bytesOut += written
        }
        // Everything went out: forget the bytes, and give back a buffer that grew large.
        output.removeAll(keepingCapacity: output.capacity <= 4096)
        outputStart = 0
    }
    // end snippet

    /// Moves the unwritten bytes to the front, so appending new replies cannot make the buffer
    /// grow past the cap because of bytes that were already written.
    private func compactOutput() {
        guard outputStart > 0 else { return }
        output.removeFirst(outputStart)
        outputStart = 0
    }
}
