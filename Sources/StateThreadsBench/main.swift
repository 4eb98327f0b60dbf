// StateThreadsBench: what a green thread costs, next to a pthread, on this machine.
//
//     swift run -c release StateThreadsBench yield            switch cost: two threads yielding
//     swift run -c release StateThreadsBench handoff          two threads taking turns via Condition
//     swift run -c release StateThreadsBench spawn            spawn + join of an empty thread
//     swift run -c release StateThreadsBench memory [N]       RSS per idle green thread (default 100,000)
//     swift run -c release StateThreadsBench pthread-handoff  the same handoff with pthread mutex + condvar
//     swift run -c release StateThreadsBench pthread-spawn    pthread_create + pthread_join
//     swift run -c release StateThreadsBench pthread-memory [N]  RSS per idle pthread with 64 KiB stacks
//     swift run -c release StateThreadsBench load PORT [CLIENTS] [SECONDS]
//         a green-thread load generator: CLIENTS connections (default 1,000) to 127.0.0.1:PORT, each
//         sending 64-byte messages and waiting for each full reply, for SECONDS (default 5);
//         prints verified messages per second
//     swift run -c release StateThreadsBench hold PORT [CLIENTS] [SECONDS]
//         CLIENTS idle connections (default 10,000), greeted and silent, held for SECONDS
//
// Each timing runs 7 rounds and prints every round and the median, so a noisy neighbour on a
// shared machine shows up as spread rather than as a wrong figure.

import Glibc
import StateThreads

func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// Runs `round` (which returns nanoseconds per operation) `rounds` times and prints the results.
func report(_ name: String, rounds: Int = 7, _ round: () throws -> Double) rethrows {
    var results: [Double] = []
    for _ in 0..<rounds { results.append(try round()) }
    let sorted = results.sorted()
    let each = results.map { String(Int($0.rounded())) }.joined(separator: " ")
    print("\(name): median \(Int(sorted[sorted.count / 2].rounded())) ns  (rounds: \(each))")
}

func residentKilobytes() -> Int {
    let fd = open("/proc/self/statm", O_RDONLY)
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    let fields = String(decoding: buffer[..<max(count, 0)], as: UTF8.self).split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
}

// MARK: Green threads

func greenYield() throws {
    let iterations = 2_000_000
    try report("green yield, per switch") {
        var elapsed: UInt64 = 0
        try Scheduler.run {
            let start = now()
            let a = try Scheduler.spawn { for _ in 0..<iterations { Scheduler.yield() } }
            let b = try Scheduler.spawn { for _ in 0..<iterations { Scheduler.yield() } }
            a.join()
            b.join()
            elapsed = now() - start
        }
        return Double(elapsed) / Double(2 * iterations)
    }
}

func greenHandoff() throws {
    let iterations = 500_000
    try report("green Condition handoff, per handoff") {
        var elapsed: UInt64 = 0
        try Scheduler.run {
            let mutex = Mutex()
            let condition = Condition()
            var turn = 0
            let start = now()
            let players = try (0..<2).map { player in
                try Scheduler.spawn {
                    mutex.lock()
                    for _ in 0..<iterations {
                        while turn != player { try? condition.wait(mutex) }
                        turn = 1 - player
                        condition.signal()
                    }
                    mutex.unlock()
                }
            }
            players.forEach { $0.join() }
            elapsed = now() - start
        }
        return Double(elapsed) / Double(2 * iterations)
    }
}

func greenSpawn() throws {
    let iterations = 1_000_000
    try report("green spawn + join") {
        var elapsed: UInt64 = 0
        try Scheduler.run {
            let start = now()
            for _ in 0..<iterations { try Scheduler.spawn {}.join() }
            elapsed = now() - start
        }
        return Double(elapsed) / Double(iterations)
    }
}

func greenMemory(_ count: Int) throws {
    // 1. The C library's own example: threads that sleep in a loop, holding nothing. Each one
    //    costs its stack's touched page, plus a slot in the timer heap.
    try Scheduler.run {
        for _ in 0..<100 { try Scheduler.spawn {}.join() }  // warm up the allocator and the pools
        let before = residentKilobytes()
        let start = now()
        for _ in 0..<count {
            try Scheduler.spawn {
                for _ in 0..<2 { try? Scheduler.sleep(for: .seconds(1)) }
            }
        }
        Scheduler.yield()  // every thread runs once and goes to sleep
        printMemory("green threads sleeping (no captures)", count, before, since: start)
    }
    // 2. Closer to a server's client thread: each captures an argument and shared objects,
    //    parks on a Condition, and its handle is kept in an array for joining.
    try Scheduler.run {
        for _ in 0..<100 { try Scheduler.spawn {}.join() }
        let before = residentKilobytes()
        let start = now()
        let mutex = Mutex()
        let parked = Condition()
        var threads: [GreenThread] = []
        threads.reserveCapacity(count)
        for index in 0..<count {
            threads.append(try Scheduler.spawn {
                mutex.lock()
                _ = index
                try? parked.wait(mutex)
                mutex.unlock()
            })
        }
        Scheduler.yield()
        printMemory("green threads on a Condition (captures + handle)", count, before, since: start)
        parked.broadcast()
        threads.forEach { $0.join() }
    }
}

func printMemory(_ label: String, _ count: Int, _ before: Int, since start: UInt64) {
    let spawned = now() - start
    let after = residentKilobytes()
    let protection = Scheduler.stackProtection
    let perThread = Double(after - before) * 1024 / Double(count)
    print("\(label): \(count) threads, RSS \(before) kB -> \(after) kB, "
        + "\(String(format: perThread)) bytes (\(String(format: perThread / 1024, places: 2)) KiB) per thread; "
        + "\(protection.guarded) stacks with guard pages, \(protection.canary) with canaries; "
        + "spawned and parked in \(spawned / 1_000_000) ms")
}

// MARK: Load

/// Drives a protocol server with `clients` green connections for `seconds`: each sends a 64-byte
/// message (`^` + 62 letters + `$`, earning 62 reply bytes) and waits for the whole reply before
/// the next. Replies are checked byte for byte; errors are counted and printed, never hidden.
func load(port: UInt16, clients: Int, seconds: Double) throws {
    var messages = 0
    var errors = 0
    var wrongReplies = 0
    var elapsed = 0.0
    let payload = (0..<62).map { UInt8(ascii: "a") + UInt8($0 % 26) }
    let message = [UInt8(ascii: "^")] + payload + [UInt8(ascii: "$")]
    let expected = payload.map { $0 &+ 1 }
    try Scheduler.run {
        var threads: [GreenThread] = []
        var connected: [GreenSocket] = []
        // Connect and read every greeting first, so the timed part is pure request/reply.
        for _ in 0..<clients {
            let socket = try GreenSocket.connect(host: "127.0.0.1", port: port, timeout: .seconds(30))
            var greeting = [UInt8](repeating: 0, count: 1)
            _ = try greeting.withUnsafeMutableBytes { try socket.read(into: $0, timeout: .seconds(30)) }
            connected.append(socket)
        }
        let start = now()
        let end = start + UInt64(seconds * 1e9)
        for socket in connected {
            threads.append(try Scheduler.spawn {
                var reply = [UInt8](repeating: 0, count: expected.count)
                do {
                    while now() < end {
                        try socket.write(message, timeout: .seconds(30))
                        var got = 0
                        while got < expected.count {
                            let count = try reply.withUnsafeMutableBytes {
                                try socket.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...]), timeout: .seconds(30))
                            }
                            if count == 0 { throw GreenThreadError.interrupted }
                            got += count
                        }
                        if reply == expected { messages += 1 } else { wrongReplies += 1 }
                    }
                } catch {
                    errors += 1
                }
                socket.close()
            })
        }
        threads.forEach { $0.join() }
        elapsed = Double(now() - start) / 1e9
    }
    print("load: \(clients) clients, \(messages) verified 64-byte messages in \(String(format: elapsed, places: 2)) s = "
        + "\(Int(Double(messages) / elapsed)) messages/s; \(wrongReplies) wrong replies, \(errors) connection errors")
}

/// Connects `clients` green connections, reads each greeting, and keeps them all open and silent
/// for `seconds`: what an idle client costs a server, measured from outside (its VmRSS).
func hold(port: UInt16, clients: Int, seconds: Double) throws {
    try Scheduler.run {
        var sockets: [GreenSocket] = []
        for _ in 0..<clients {
            let socket = try GreenSocket.connect(host: "127.0.0.1", port: port, timeout: .seconds(30))
            var greeting = [UInt8](repeating: 0, count: 1)
            _ = try greeting.withUnsafeMutableBytes { try socket.read(into: $0, timeout: .seconds(30)) }
            sockets.append(socket)
        }
        print("hold: \(clients) clients connected and greeted; holding for \(seconds) s")
        fflush(nil)  // a script waits for this line
        try Scheduler.sleep(for: .milliseconds(Int(seconds * 1000)))
        sockets.forEach { $0.close() }
    }
}

// MARK: pthreads

/// A pthread mutex and condition variable at fixed heap addresses.
final class PthreadTurns: @unchecked Sendable {  // every field is used with `mutex` locked
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    var turn = 0
    let iterations: Int

    init(iterations: Int) {
        self.iterations = iterations
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }
}

final class PthreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

func startPthread(stackSize: Int? = nil, _ body: @escaping () -> Void) -> pthread_t {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
    var thread = pthread_t()
    let argument = Unmanaged.passRetained(PthreadBody(body)).toOpaque()
    let result = pthread_create(&thread, &attributes, { argument in
        Unmanaged<PthreadBody>.fromOpaque(argument!).takeRetainedValue().run()
        return nil
    }, argument)
    precondition(result == 0, "pthread_create failed: \(result)")
    return thread
}

func pthreadHandoff() {
    let iterations = 20_000
    report("pthread mutex+condvar handoff, per handoff", rounds: 5) {
        let turns = PthreadTurns(iterations: iterations)
        let start = now()
        let threads = (0..<2).map { player in
            startPthread {
                pthread_mutex_lock(turns.mutex)
                for _ in 0..<turns.iterations {
                    while turns.turn != player { pthread_cond_wait(turns.condition, turns.mutex) }
                    turns.turn = 1 - player
                    pthread_cond_signal(turns.condition)
                }
                pthread_mutex_unlock(turns.mutex)
            }
        }
        threads.forEach { pthread_join($0, nil) }
        return Double(now() - start) / Double(2 * iterations)
    }
}

func pthreadSpawn() {
    let iterations = 20_000
    report("pthread create + join", rounds: 5) {
        let start = now()
        for _ in 0..<iterations { pthread_join(startPthread(stackSize: 64 * 1024) {}, nil) }
        return Double(now() - start) / Double(iterations)
    }
}

func pthreadMemory(_ count: Int) {
    let turns = PthreadTurns(iterations: 0)
    let before = residentKilobytes()
    var started = 0
    var threads: [pthread_t] = []
    for _ in 0..<count {
        threads.append(startPthread(stackSize: 64 * 1024) {
            pthread_mutex_lock(turns.mutex)
            started += 1
            while turns.turn == 0 { pthread_cond_wait(turns.condition, turns.mutex) }
            pthread_mutex_unlock(turns.mutex)
        })
    }
    while true {
        pthread_mutex_lock(turns.mutex)
        let ready = started == count
        pthread_mutex_unlock(turns.mutex)
        if ready { break }
        usleep(10_000)
    }
    let after = residentKilobytes()
    let perThread = Double(after - before) * 1024 / Double(count)
    print("pthreads parked on a condvar (64 KiB stacks): \(count) threads, RSS \(before) kB -> \(after) kB, "
        + "\(String(format: perThread)) bytes (\(String(format: perThread / 1024, places: 2)) KiB) per thread")
    pthread_mutex_lock(turns.mutex)
    turns.turn = 1
    pthread_cond_broadcast(turns.condition)
    pthread_mutex_unlock(turns.mutex)
    threads.forEach { pthread_join($0, nil) }
}

extension String {
    /// `value` with `places` decimal places.
    init(format value: Double, places: Int = 1) {
        var scale = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((value * Double(scale)).rounded())
        let fraction = String(abs(scaled % scale))
        self = "\(scaled / scale)." + String(repeating: "0", count: places - fraction.count) + fraction
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
let count = arguments.dropFirst().first.flatMap { Int($0) }
do {
    switch arguments.first ?? "" {
    case "yield": try greenYield()
    case "handoff": try greenHandoff()
    case "spawn": try greenSpawn()
    case "memory": try greenMemory(count ?? 100_000)
    case "pthread-handoff": pthreadHandoff()
    case "pthread-spawn": pthreadSpawn()
    case "pthread-memory": pthreadMemory(count ?? 10_000)
    case "load":
        guard let port = arguments.dropFirst().first.flatMap({ UInt16($0) }) else {
            print("usage: StateThreadsBench load PORT [CLIENTS] [SECONDS]")
            exit(2)
        }
        let clients = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 1000
        let seconds = arguments.dropFirst(3).first.flatMap { Double($0) } ?? 5
        try load(port: port, clients: clients, seconds: seconds)
    case "hold":
        guard let port = arguments.dropFirst().first.flatMap({ UInt16($0) }) else {
            print("usage: StateThreadsBench hold PORT [CLIENTS] [SECONDS]")
            exit(2)
        }
        try hold(port: port, clients: arguments.dropFirst(2).first.flatMap { Int($0) } ?? 10_000,
                 seconds: arguments.dropFirst(3).first.flatMap { Double($0) } ?? 5)
    default:
        print("usage: StateThreadsBench yield | handoff | spawn | memory [N] | pthread-handoff | pthread-spawn | pthread-memory [N] | load PORT [CLIENTS] [SECONDS] | hold PORT [CLIENTS] [SECONDS]")
        exit(2)
    }
} catch {
    print("StateThreadsBench: \(error)")
    exit(1)
}
