// Units: how Bench writes numbers for people — counts with separators, durations and sizes
// with their unit, so a table never leaves the reader guessing whether 12 means µs or ms.

import Foundation

enum Units {
    /// `1234567` → `1,234,567`.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// A duration in nanoseconds with a unit that keeps three significant figures or so:
    /// `850 ns`, `12.3 µs`, `4.56 ms`, `1.20 s`.
    static func duration(nanoseconds value: Double) -> String {
        switch value {
        case ..<1_000: return String(format: "%.0f ns", value)
        case ..<1_000_000: return String(format: value < 10_000 ? "%.2f µs" : "%.1f µs", value / 1e3)
        case ..<1_000_000_000: return String(format: value < 10_000_000 ? "%.2f ms" : "%.1f ms", value / 1e6)
        default: return String(format: "%.2f s", value / 1e9)
        }
    }

    /// A size in bytes: `812 B`, `13.2 KiB`, `41.0 MiB`.
    static func bytes(_ value: Double) -> String {
        switch abs(value) {
        case ..<1024: return String(format: "%.0f B", value)
        case ..<(1024 * 1024): return String(format: "%.1f KiB", value / 1024)
        case ..<(1024 * 1024 * 1024): return String(format: "%.1f MiB", value / 1024 / 1024)
        default: return String(format: "%.2f GiB", value / 1024 / 1024 / 1024)
        }
    }

    /// A plain decimal with `digits` after the point.
    static func decimal(_ value: Double, digits: Int = 1) -> String {
        String(format: "%.\(digits)f", value)
    }

    /// Pads `text` on the left to `width` characters (for right-aligned table columns).
    static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// Pads `text` on the right to `width` characters.
    static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
