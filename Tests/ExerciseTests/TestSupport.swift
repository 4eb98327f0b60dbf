// TestSupport: what the exercise tests need around the learner's code, built only on Glibc.
//
// Socket pairs stand in for a client and a server without a network; the tests start their own
// threads and wait with their own mutexes and condition variables, so no test depends on another
// exercise being solved. Every wait has a time limit: a broken attempt fails its test with a
// message, it never hangs `swift test`.

import Glibc
import ServerCore
import Testing

/// A test's own complaint, shown as the reason a test failed.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A write to a closed peer raises SIGPIPE, which would end the whole test process; ignored, the
/// write fails with EPIPE instead, as it does in the servers (`startListening` ignores it too).
let ignoringSIGPIPE: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()

/// Two connected stream sockets: `server` for the code under test, `client` for the test.
struct SocketPair {
    let server: Socket
    let client: Socket

    /// The longest the test's client waits for the code under test to send something.
    static let clientPatience: Int = 5

    init() throws {
        _ = ignoringSIGPIPE
        var ends: [Int32] = [-1, -1]
        try retryingOnInterrupt("socketpair(2)") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends)
        }
        server = Socket(fd: ends[0])
        client = Socket(fd: ends[1])
        var patience = timeval(tv_sec: SocketPair.clientPatience, tv_usec: 0)
        try retryingOnInterrupt("setsockopt(2)") {
            setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &patience, socklen_t(MemoryLayout<timeval>.size))
        }
    }
}

extension Socket {
    /// Sends the UTF-8 bytes of `text`.
    func send(_ text: String) throws {
        try writeAll(Array(text.utf8))
    }

    /// Reads exactly `count` bytes, however many reads they take.
    func read(exactly count: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: max(count, 1))
        while bytes.count < count {
            let got = try readWithPatience(into: &buffer, upTo: count - bytes.count)
            if got == 0 {
                throw TestFailure("the connection was closed after \(bytes.count) of the \(count) bytes expected")
            }
            bytes += buffer[..<got]
        }
        return bytes
    }

    /// Reads `count` bytes and decodes them as UTF-8.
    func readText(_ count: Int) throws -> String {
        String(decoding: try read(exactly: count), as: UTF8.self)
    }

    /// Reads until the other side closes the connection.
    func readToEnd() throws -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = try readWithPatience(into: &buffer, upTo: buffer.count)
            if got == 0 { return bytes }
            bytes += buffer[..<got]
        }
    }

    private func readWithPatience(into buffer: inout [UInt8], upTo limit: Int) throws -> Int {
        do {
            return try buffer.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<limit])) }
        } catch let error as SystemCallError where error.code == EAGAIN {
            throw TestFailure("nothing arrived for \(SocketPair.clientPatience) s")
        }
    }
}

/// A pthread mutex and condition variable (on the monotonic clock) at fixed heap addresses.
// @unchecked Sendable: the mutex and condition variable are made to be shared between threads.
final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(changed, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the mutex locked, then wakes every waiter.
    func update<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
        }
        return body()
    }

    /// Waits until `ready` (called with the mutex locked) returns a value, or `seconds` pass.
    func wait<T>(seconds: Double, until ready: () -> T?) -> T? {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let nanoseconds = Int(seconds * 1_000_000_000) + deadline.tv_nsec
        deadline.tv_sec += nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let value = ready() { return value }
            if pthread_cond_timedwait(changed, mutex, &deadline) == ETIMEDOUT { return ready() }
        }
    }
}

/// A value handed from one thread to another.
// @unchecked Sendable: `value` is only touched inside the monitor.
final class Handoff<Value: Sendable>: @unchecked Sendable {
    private let monitor = Monitor()
    private var value: Value?

    func put(_ newValue: Value) {
        monitor.update { value = newValue }
    }

    /// The value, once some thread has put it, or `nil` if none did within `seconds`.
    func take(within seconds: Double) -> Value? {
        monitor.wait(seconds: seconds) { value }
    }
}

/// Counts events from many threads; a waiter can wait for a number of them.
// @unchecked Sendable: `count` is only touched inside the monitor.
final class EventCounter: @unchecked Sendable {
    private let monitor = Monitor()
    private var count = 0

    func record() {
        monitor.update { count += 1 }
    }

    var current: Int { monitor.update { count } }

    /// Whether `target` events happened within `seconds`.
    func wait(for target: Int, within seconds: Double) -> Bool {
        monitor.wait(seconds: seconds) { count >= target ? true : nil } ?? false
    }
}

/// Runs `body` on a new detached pthread (ServerCore's, so the tests do not depend on
/// Exercise 02-1).
func runOnTestThread(_ body: @escaping @Sendable () -> Void) throws {
    try startDetachedThread(body)
}

/// Runs the code under test on its own thread with the server end of `pair`, like a server's
/// client thread. When it returns, the server end is shut down (not closed: the test closes it)
/// so the test's client sees end of file at once instead of waiting for its patience to run out.
func serve<Result: Sendable>(
    _ pair: SocketPair, with body: @escaping @Sendable (Socket) -> Result
) throws -> Handoff<Result> {
    let result = Handoff<Result>()
    try runOnTestThread {
        let value = body(pair.server)
        // Before handing the result over: once the test has it, the test may close the socket,
        // and a later shutdown could hit a new socket that was given the same descriptor.
        try? pair.server.shutdown(Int32(SHUT_RDWR))
        result.put(value)
    }
    return result
}

/// Sleeps the calling thread.
func pause(seconds: Double) {
    usleep(UInt32(seconds * 1_000_000))
}

/// Runs one check of an exercise's test. The checks of a test run one after the other and each
/// runs even if an earlier one failed; an error a check throws fails the test with the check's
/// name, at the line that ran it.
func check(_ name: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
    } catch is ExpectationFailedError {
        // A failed #require: Swift Testing has already recorded it, with its own line.
    } catch {
        Issue.record("\(name): \(error)", sourceLocation: sourceLocation)
    }
}
