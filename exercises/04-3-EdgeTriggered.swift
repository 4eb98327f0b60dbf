// Exercise 04-3: read the edge-triggered way.
//
// Part 4 registers its sockets level-triggered: epoll reports a socket on every wait for as long
// as it has unread bytes, so reading only part of them is fine. With EPOLLET (edge-triggered),
// epoll reports a socket once when bytes *arrive*, and not again until more arrive. A handler
// that leaves bytes in the socket will not hear about them again — and if the client is waiting
// for the replies to exactly those bytes, client and server wait for each other forever.
//
// Write the read side of an edge-triggered handler: given a non-blocking socket that epoll has
// just reported readable, read until the kernel says EAGAIN, so nothing is left behind.
//
// When you want your attempt checked, delete the marker line below, then run
// `swift run Progress` (or `swift test --filter exercise04_3`). Stuck? `swift run Progress hint 04-3`.

// I AM NOT DONE

import Glibc
import ServerCore

/// Reads everything available on the non-blocking socket `fd` and appends it to `received`.
/// Returns `false` if the peer has closed its side (a read returned 0), `true` if the socket is
/// simply empty for now (EAGAIN/EWOULDBLOCK). Retries EINTR; throws any other failure as a
/// `SystemCallError("read(2)", ...)`. Use a buffer of at most 4096 bytes per read.
func drainReadable(_ fd: Int32, into received: inout [UInt8]) throws -> Bool {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
    if count > 0 { received += buffer[..<count] }
    // TODO: one read is what a level-triggered loop may get away with; keep reading until EAGAIN.
    return count != 0
}
