// ProcFile: reading a file under /proc, whose size the kernel reports as zero.
//
// /proc files are generated on each read, so `stat` says 0 bytes and a reader that trusts the
// size reads nothing. This reads until end of file, whatever the size says.

import Glibc
import ServerCore

public enum ProcFile {
    /// The whole text of `path` (e.g. `/proc/self/status`).
    public static func read(_ path: String) throws -> String {
        let fd = try retryingOnInterrupt("open(2) \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = try chunk.withUnsafeMutableBytes { buffer in
                try retryingOnInterrupt("read(2) \(path)") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            }
            if count == 0 { break }
            contents.append(contentsOf: chunk[..<count])
        }
        return String(decoding: contents, as: UTF8.self)
    }

    /// The number after `key:` in a `Key:   value unit` file such as /proc/PID/status, or nil.
    public static func field(_ key: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let value = line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
            return value.flatMap { Int($0) }
        }
        return nil
    }
}
