// Exercise 04-1's test: `PendingOutput` writes what a non-blocking socket takes and keeps the rest.
//
// The code under test writes to one end of a socket pair made non-blocking, with a small send
// buffer so that a megabyte cannot go out in one `write`; the test drains the other end a piece at
// a time, flushing again after each piece, and checks every byte arrived once and in order.

@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("04-1"))
func exercise04_1_PartialWrite() throws {
    try writesEverythingThatFits()
    try keepsWhatTheSocketDidNotTake()
    try throwsWhenThePeerHasGone()
}

/// A socket pair whose server end is non-blocking with a small send buffer.
private func nonBlockingPair() throws -> SocketPair {
    let pair = try SocketPair()
    let flags = fcntl(pair.server.fd, F_GETFL)
    _ = fcntl(pair.server.fd, F_SETFL, flags | O_NONBLOCK)
    try pair.server.setOption(SOL_SOCKET, SO_SNDBUF, 8192)
    return pair
}

/// Whatever has arrived at `socket` right now, without waiting.
private func readAvailable(_ socket: Socket) -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let got = buffer.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if got <= 0 { return bytes }
        bytes += buffer[..<got]
    }
}

private func writesEverythingThatFits() throws {
    let pair = try nonBlockingPair()
    defer { pair.server.close(); pair.client.close() }
    var output = PendingOutput()
    #expect(try output.flush(to: pair.server.fd), "nothing pending: flush has nothing to do and says so")
    output.append(Array("bcd".utf8))
    output.append(Array("234".utf8))
    #expect(try output.flush(to: pair.server.fd), "six bytes fit in any send buffer")
    #expect(output.count == 0, "written bytes must not stay pending")
    #expect(try pair.client.readText(6) == "bcd234", "the bytes, in the order they were appended")
}

private func keepsWhatTheSocketDidNotTake() throws {
    let pair = try nonBlockingPair()
    defer { pair.server.close(); pair.client.close() }
    let megabyte = (0..<1_048_576).map { UInt8(truncatingIfNeeded: $0 % 251) }
    let tail = Array("the end".utf8)
    var output = PendingOutput()
    output.append(megabyte)
    let done = try output.flush(to: pair.server.fd)
    #expect(!done, "a megabyte cannot fit in an 8 KiB send buffer: flush must stop at EAGAIN and say it is not done")
    #expect(output.count > 0 && output.count < megabyte.count,
            "some bytes went out and the rest are kept: \(output.count) of \(megabyte.count) pending")
    output.append(tail)  // more replies arrive while the first are still pending

    var received: [UInt8] = []
    let started = MonotonicClock.now()
    while true {
        received += readAvailable(pair.client)
        if try output.flush(to: pair.server.fd) { break }
        if MonotonicClock.now() - started > 20 {
            Issue.record("still \(output.count) bytes pending after 20 s of draining the other end")
            return
        }
        usleep(1000)
    }
    #expect(output.count == 0)
    while received.count < megabyte.count + tail.count {
        received += try pair.client.read(exactly: 1)  // the last bytes may still be in flight
        received += readAvailable(pair.client)
    }
    #expect(received.count == megabyte.count + tail.count, "every byte exactly once")
    #expect(received == megabyte + tail, "the bytes, in the order they were appended")
}

private func throwsWhenThePeerHasGone() throws {
    let pair = try nonBlockingPair()
    defer { pair.server.close() }
    pair.client.close()
    var output = PendingOutput()
    output.append(Array("x".utf8))
    do {
        let done = try output.flush(to: pair.server.fd)
        Issue.record("writing to a closed peer must throw (EPIPE), but flush returned \(done)")
    } catch let error as SystemCallError {
        #expect(error.code == EPIPE || error.code == ECONNRESET, "\(error)")
    }
}
