// Exercise 04-1's test: `PendingChunks` writes what a non-blocking socket takes, with writev,
// and keeps the rest, even when a write ends in the middle of a chunk.
//
// The code under test writes to one end of a socket pair made non-blocking, with a small send
// buffer so that a megabyte in chunks of every size cannot go out in one call; the test drains
// the other end a piece at a time, flushing again after each piece, and checks every byte arrived
// once and in order.

@testable import Exercises
import Glibc
import Harness
import ServerCore
import Testing

@Test(.exercise("04-1"))
func exercise04_1_GatherWrite() {
    check("writes everything that fits", writesEverythingThatFits)
    check("keeps what the socket did not take, in order", keepsWhatTheSocketDidNotTake)
    check("sends more chunks than one writev takes", sendsMoreChunksThanOneWritevTakes)
    check("throws when the peer has gone", throwsWhenThePeerHasGone)
}

/// A socket pair whose server end is non-blocking with a small send buffer.
private func nonBlockingPair(sendBuffer: Int32 = 8192) throws -> SocketPair {
    let pair = try SocketPair()
    let flags = fcntl(pair.server.fd, F_GETFL)
    _ = fcntl(pair.server.fd, F_SETFL, flags | O_NONBLOCK)
    try pair.server.setOption(SOL_SOCKET, SO_SNDBUF, sendBuffer)
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

/// Flushes `output` while draining the other end, until everything went out; returns what arrived.
private func drain(_ output: inout PendingChunks, _ pair: SocketPair, expecting total: Int) throws -> [UInt8] {
    var received: [UInt8] = []
    let started = MonotonicClock.now()
    while true {
        received += readAvailable(pair.client)
        if try output.flush(to: pair.server.fd) { break }
        if MonotonicClock.now() - started > 20 {
            throw TestFailure("still \(output.count) bytes pending after 20 s of draining the other end")
        }
        usleep(1000)
    }
    #expect(output.count == 0, "flush said it was done, but \(output.count) bytes are still pending")
    while received.count < total {
        received += try pair.client.read(exactly: 1)  // the last bytes may still be in flight
        received += readAvailable(pair.client)
    }
    return received
}

private func writesEverythingThatFits() throws {
    let pair = try nonBlockingPair()
    defer { pair.server.close(); pair.client.close() }
    var output = PendingChunks()
    #expect(try output.flush(to: pair.server.fd), "nothing pending: flush has nothing to do and says so")
    output.append(Array("bcd".utf8))
    output.append(Array("234".utf8))
    output.append(Array("!".utf8))
    #expect(try output.flush(to: pair.server.fd), "seven bytes fit in any send buffer")
    #expect(output.count == 0, "written bytes must not stay pending")
    #expect(try pair.client.readText(7) == "bcd234!", "the bytes, in the order they were appended")
}

private func keepsWhatTheSocketDidNotTake() throws {
    let pair = try nonBlockingPair()
    defer { pair.server.close(); pair.client.close() }
    // A megabyte in chunks of 1 byte to 40 KiB, so writes end inside chunks of every size.
    var random = SplitMix64(seed: 41)
    var expected: [UInt8] = []
    var output = PendingChunks()
    while expected.count < 1_048_576 {
        let size = random.next() % 4 == 0 ? Int(random.next() % 40_960) + 1 : Int(random.next() % 300) + 1
        let chunk = (0..<size).map { UInt8(truncatingIfNeeded: expected.count + $0) &* 7 }
        output.append(chunk)
        expected += chunk
    }
    let done = try output.flush(to: pair.server.fd)
    #expect(!done, "a megabyte cannot fit in an 8 KiB send buffer: flush must stop at EAGAIN and say it is not done")
    #expect(output.count > 0 && output.count < expected.count,
            "some bytes went out and the rest are kept: \(output.count) of \(expected.count) pending")
    let tail = Array("the end".utf8)
    output.append(tail)  // more replies arrive while the first are still pending
    expected += tail

    let received = try drain(&output, pair, expecting: expected.count)
    #expect(received.count == expected.count, "every byte exactly once: \(received.count) arrived, \(expected.count) sent")
    if received != expected {
        let first = received.indices.first { $0 < expected.count && received[$0] != expected[$0] } ?? min(received.count, expected.count)
        Issue.record("the bytes arrived out of order or changed, first at byte #\(first)")
    }
}

private func sendsMoreChunksThanOneWritevTakes() throws {
    let pair = try nonBlockingPair(sendBuffer: 65_536)
    defer { pair.server.close(); pair.client.close() }
    var output = PendingChunks()
    let count = 3 * maxChunksPerWrite + 7
    for index in 0..<count { output.append([UInt8(truncatingIfNeeded: index)]) }
    let received = try drain(&output, pair, expecting: count)
    let intact = received == (0..<count).map { UInt8(truncatingIfNeeded: $0) }  // a Bool: no printing of both arrays
    #expect(intact, "\(count) one-byte chunks, in order: writev takes at most maxChunksPerWrite of them per call")
}

private func throwsWhenThePeerHasGone() throws {
    let pair = try nonBlockingPair()
    defer { pair.server.close() }
    pair.client.close()
    var output = PendingChunks()
    output.append(Array("x".utf8))
    do {
        let done = try output.flush(to: pair.server.fd)
        Issue.record("writing to a closed peer must throw (EPIPE), but flush returned \(done)")
    } catch let error as SystemCallError {
        #expect(error.code == EPIPE || error.code == ECONNRESET, "\(error)")
    }
}
