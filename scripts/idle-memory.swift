// idle-memory.swift: what one idle connection costs a server, in resident memory.
//
// For each server executable given, one after the other in the same run: start it on a free
// port, read its resident set size (VmRSS in /proc/PID/status), open N connections that each
// wait for the greeting and then stay silent, read VmRSS again, and report the difference per
// connection. Chapter 4 uses it to compare the event loop with Part 2's thread per client:
//
//     swift build -c release --product Part4Epoll && swift build -c release --product Part2Threaded
//     swift scripts/idle-memory.swift --connections 10000 .build/release/Part4Epoll .build/release/Part2Threaded
//
// Needs RLIMIT_NOFILE above N for this script and for the server (it raises its soft limit
// to the hard one; the servers inherit it). A measurement, not a test: the figure depends on
// the machine, the allocator and the build, so it is printed, never asserted.

import Glibc

func fail(_ message: String) -> Never {
    fputs("idle-memory: \(message)\n", stderr)
    exit(1)
}

/// A field of /proc/PID/status in kB, e.g. "VmRSS".
func statusField(_ name: String, pid: pid_t) -> Int {
    guard let file = fopen("/proc/\(pid)/status", "r") else { fail("cannot read /proc/\(pid)/status") }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix(name + ":") {
            return Int(text.dropFirst(name.count + 1).split(whereSeparator: { " \t\n".contains($0) }).first ?? "") ?? 0
        }
    }
    return 0
}

/// Starts `executable --port 0` with its output in `logPath`; returns its pid and port.
func startServer(_ executable: String, logPath: String) -> (pid: pid_t, port: UInt16) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO)
    var pid = pid_t()
    let arguments = [executable, "--port", "0"]
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    let rc = posix_spawn(&pid, executable, &actions, nil, &argv, environ)
    posix_spawn_file_actions_destroy(&actions)
    if rc != 0 { fail("cannot start \(executable): \(String(cString: strerror(rc)))") }
    for _ in 0..<200 {  // up to 10 s for the `listening on HOST:PORT` line
        if let file = fopen(logPath, "r") {
            var line = [CChar](repeating: 0, count: 256)
            let got = fgets(&line, Int32(line.count), file) != nil
            fclose(file)
            let text = String(decoding: line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if got, text.hasPrefix("listening on "), let port = UInt16(text.split(separator: ":").last ?? "") {
                return (pid, port)
            }
        }
        usleep(50_000)
    }
    fail("\(executable) did not print its port")
}

/// Connects to 127.0.0.1:port with a blocking socket.
func connectClient(port: UInt16) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    if fd < 0 { fail("socket: \(String(cString: strerror(errno)))") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    if rc != 0 { fail("connect: \(String(cString: strerror(errno)))") }
    return fd
}

/// Waits for the one-byte greeting, proof that the server has accepted the client and set up
/// whatever it keeps per client (a thread, a connection object).
func awaitGreeting(_ fd: Int32) {
    var byte: UInt8 = 0
    if read(fd, &byte, 1) != 1 || byte != UInt8(ascii: "*") { fail("no greeting on a connection") }
}

func sleepSeconds(_ seconds: Double) { usleep(UInt32(seconds * 1_000_000)) }

// Options: [--connections N] EXECUTABLE...
var connections = 10_000
var executables: [String] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--connections", let value = arguments.popFirst(), let count = Int(value) {
        connections = count
    } else {
        executables.append(argument)
    }
}
if executables.isEmpty { fail("usage: idle-memory.swift [--connections N] EXECUTABLE...") }

var limit = rlimit()
getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
limit.rlim_cur = limit.rlim_max
setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
if Int(limit.rlim_cur) < connections + 64 {
    fail("RLIMIT_NOFILE is \(limit.rlim_cur); \(connections) connections need more (ulimit -n)")
}

print("server                  idle conns   RSS before   RSS after   per connection   threads")
fflush(nil)
for executable in executables {
    let name = String(executable.split(separator: "/").last ?? "")
    let (pid, port) = startServer(executable, logPath: "/tmp/idle-memory-\(name).log")
    sleepSeconds(0.5)
    let before = statusField("VmRSS", pid: pid)
    var clients: [Int32] = []
    clients.reserveCapacity(connections)
    // Batches of 100 keep the kernel's accept queue (backlog 128) from overflowing.
    while clients.count < connections {
        let batch = (0..<min(100, connections - clients.count)).map { _ in connectClient(port: port) }
        batch.forEach(awaitGreeting)
        clients += batch
        if clients.count % 2000 == 0 { fputs("\(name): \(clients.count) connected\n", stderr) }
    }
    sleepSeconds(1)
    let after = statusField("VmRSS", pid: pid)
    let threads = statusField("Threads", pid: pid)
    let perConnection = Double(after - before) * 1024 / Double(connections)
    let row = [
        name.rightPadded(22),
        String(connections).leftPadded(10),
        "\(before) kB".leftPadded(12),
        "\(after) kB".leftPadded(11),
        "\(Int(perConnection.rounded())) bytes".leftPadded(16),
        String(threads).leftPadded(9),
    ]
    print(row.joined(separator: " "))
    fflush(nil)
    clients.forEach { _ = close($0) }
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}

extension String {
    func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
