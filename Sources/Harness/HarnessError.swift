// HarnessError: what the harness throws when a server or a connection does not do what a test
// or a measurement expected, worded to say what was expected and what happened instead.

public struct HarnessError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
