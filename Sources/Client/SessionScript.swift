// SessionScript: what every simulated client sends, and the replies it must get back.
//
// The client does not hard-code the answers: it runs the same `ProtocolMachine` the servers run,
// carried from one chunk to the next exactly as a server carries it across reads. So a message
// that spans chunks (`xyz^123` opens one that the next chunk closes) is predicted correctly, and
// if the protocol ever changes, the client's expectations change with it.

import Harness
import ServerCore

/// The chunks a client sends, one `--interval` apart, with the reply each one earns.
struct SessionScript: Sendable, Equatable {
    /// The bytes sent in each write, in order.
    let chunks: [[UInt8]]
    /// `expectedReplies[i]` is what the server must answer to `chunks[i]`.
    let expectedReplies: [[UInt8]]

    init(chunks: [[UInt8]]) {
        self.chunks = chunks
        var machine = ProtocolMachine()  // one machine for the whole session, as on the server
        expectedReplies = chunks.map { machine.feed($0) }
    }

    init(_ chunks: String...) {
        self.init(chunks: chunks.map { Array($0.utf8) })
    }

    /// The three chunks of the original series' client (Chapter 0): the seed conversation's.
    static let seed = SessionScript(chunks: seedConversation.map { Array($0.send.utf8) })
}

/// Bytes as a log line shows them: in double quotes, printable ASCII as is, anything else
/// (and `"` and `\`) escaped, so a wrong reply is visible byte for byte.
func quoted(_ bytes: some Sequence<UInt8>) -> String {
    var text = "\""
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "\""): text += "\\\""
        case UInt8(ascii: "\\"): text += "\\\\"
        case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return text + "\""
}
