// Exercise 08-2's test: one acceptor spreads clients over three loops, in turn.
//
// Three threads play event loops: each waits in epoll_wait on its inbox's eventfd, takes the
// descriptors it is handed, writes its own number (one byte, '0' to '2') to each client and
// closes it. Nine clients connect one after the other; client k must hear from loop k % 3.

import CLinux
@testable import Exercises
import Glibc
import ServerCore
import Testing

@Test(.exercise("08-2"))
func exercise08_2_Acceptor() throws {
    let listener = try Socket.listen(host: "127.0.0.1", port: 0, backlog: 16)
    defer { listener.close() }
    let port = try listener.localAddress().port
    let inboxes = try (0..<3).map { _ in try DescriptorInbox() }
    let clients = 9
    let loops = try inboxes.enumerated().map { index, inbox in
        try JoinableThread { runToyLoop(number: index, inbox: inbox, serving: clients / 3) }
    }
    let acceptor = try JoinableThread { () -> String? in
        do { try acceptAndDistribute(listener, to: inboxes, clients: clients) } catch { return "\(error)" }
        return nil
    }

    var heardFrom: [String] = []
    for _ in 0..<clients {
        let client = try Socket.connect(host: "127.0.0.1", port: port)
        defer { client.close() }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        let count = read(client.fd, &byte, 1)
        heardFrom.append(count == 1 ? String(UnicodeScalar(byte)) : "nobody")
    }
    let expected = (0..<clients).map { String($0 % 3) }
    #expect(heardFrom == expected, """
        client k must be served by loop k % 3; the loops that answered, in order: \(heardFrom). \
        "nobody": no loop was handed that client within 2 s.
        """)

    let served = !heardFrom.contains("nobody")
    if !served {
        // Unblock whatever still waits: the toy loops for the clients they never got, and an
        // acceptor blocked in accept (shutting the listener down makes accept fail at once).
        for inbox in inboxes { for _ in 0..<clients { inbox.post(-1) } }
        try? listener.shutdown(Int32(SHUT_RD))
    }
    let failure = acceptor.join()
    if served, let failure { Issue.record("acceptAndDistribute threw: \(failure)") }
    loops.forEach { $0.join() }
}

/// A stand-in for an event loop: waits on the inbox's eventfd, greets every client it is handed
/// with its number, closes it, and returns after `serving` clients.
private func runToyLoop(number: Int, inbox: DescriptorInbox, serving: Int) {
    let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
    defer { close(epoll) }
    var interest = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: inbox.fd))
    epoll_ctl(epoll, EPOLL_CTL_ADD, inbox.fd, &interest)
    var served = 0
    while served < serving {
        var event = epoll_event()
        guard epoll_wait(epoll, &event, 1, 10_000) > 0 else { return }  // nothing for 10 s: give up
        for fd in inbox.take() {
            served += 1
            guard fd >= 0 else { continue }  // the test unblocking us
            var byte = UInt8(ascii: "0") + UInt8(number)
            _ = write(fd, &byte, 1)
            close(fd)
        }
    }
}
