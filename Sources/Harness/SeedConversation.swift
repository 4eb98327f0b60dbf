// SeedConversation: the test vector of the original series, written down once.
//
// A client sends three chunks, one after the other on one connection; each earns the reply
// beside it. The protocol state carries across chunks (the second chunk starts inside the
// message the first one opened), which is what makes it a good first test of any server.

/// The seed conversation: what a client sends, in order, and the reply each chunk earns.
public let seedConversation: [(send: String, reply: String)] = [
    ("^abc$de^abte$f", "bcdbcuf"),
    ("xyz^123", "234"),
    ("25$^ab0000$abab", "36bc1111"),
]
