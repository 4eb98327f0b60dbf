// CSVWriter: one experiment's rows as a CSV file a spreadsheet or a plotting script can read.
//
// The file opens with `#` comment lines that say what was measured, on which machine and when
// (most CSV readers can skip them: pandas `comment="#"`, R `comment.char`), then one header row
// and the data. Fields are quoted only when they must be (RFC 4180: a comma, a quote or a line
// break inside; quotes doubled).

import Foundation

struct CSVWriter {
    /// `# key: value` lines written above the header.
    var comments: [(String, String)] = []
    var columns: [String]
    private(set) var rows: [[String]] = []

    init(columns: [String], comments: [(String, String)] = []) {
        self.columns = columns
        self.comments = comments
    }

    /// Appends a row; it must have one field per column.
    mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "a CSV row needs \(columns.count) fields, got \(row.count)")
        rows.append(row)
    }

    var text: String {
        var text = ""
        for (key, value) in comments {
            text += "# \(key): \(value.replacingOccurrences(of: "\n", with: " "))\n"
        }
        text += columns.map(Self.field).joined(separator: ",") + "\n"
        for row in rows {
            text += row.map(Self.field).joined(separator: ",") + "\n"
        }
        return text
    }

    func write(to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A field as CSV writes it: quoted, with quotes doubled, if it holds `,`, `"` or a line break.
    static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
