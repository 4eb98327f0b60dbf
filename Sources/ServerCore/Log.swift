// Log: one timestamped line per event, written straight to standard output.
//
// Each line goes out with a single write(2), unbuffered, so lines from many threads never
// interleave and a test or script reading the output through a pipe or file sees each line as
// soon as it happens. Standard output is shared by every thread; one write per line is what
// keeps it simple.

import Glibc

public enum Log {
    /// Writes `text` as one line, without a timestamp (for output scripts parse, like the
    /// `listening on` line).
    public static func plain(_ text: String) {
        write(line: text, to: STDOUT_FILENO)
    }

    /// Writes `text` and a newline to `fd` in one write(2) (more only if the kernel takes part),
    /// for standard output here and the green-thread runtime's messages on standard error.
    public static func write(line text: String, to fd: Int32) {
        var line = text
        line.append("\n")
        var utf8 = Array(line.utf8)
        utf8.withUnsafeMutableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }  // the output is gone; a server keeps serving regardless
                offset += written
            }
        }
    }

    /// Writes `text` as one line prefixed by the local time, e.g. `11:18:52.632 ...`.
    public static func line(_ text: String) {
        plain("\(timestamp()) \(text)")
    }

    /// The local wall-clock time as `HH:MM:SS.mmm`.
    public static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        localtime_r(&seconds, &parts)
        let millis = Int(now.tv_nsec / 1_000_000)
        return "\(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):\(twoDigits(parts.tm_sec))."
            + (millis < 100 ? (millis < 10 ? "00" : "0") : "") + String(millis)
    }

    private static func twoDigits(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : String(value)
    }
}
