// SystemCallError: how every failed system call in the servers is reported.
//
// The error names the call and the errno text, the way `perror` would, so a log line reads
// `accept(2) failed: Too many open files`. `retryingOnInterrupt` is the one place where a call
// interrupted by a signal (EINTR) is simply made again.

import Glibc

/// A system call that failed, with the `errno` it left behind.
public struct SystemCallError: Error, Equatable, CustomStringConvertible {
    /// The call as a manual page names it, e.g. `"accept(2)"`.
    public let call: String
    /// The `errno` value (or, for pthread calls, the returned error number).
    public let code: Int32

    public init(_ call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    public var description: String {
        "\(call) failed: \(String(cString: strerror(code)))"
    }
}

// snippet: retry-eintr
/// Runs a system call that returns -1 on failure, repeating it while it fails with EINTR,
/// and throws any other failure as a ``SystemCallError`` naming `call`.
@discardableResult
public func retryingOnInterrupt<Result: FixedWidthInteger>(
    _ call: String, _ body: () -> Result
) throws -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code != EINTR { throw SystemCallError(call, code: code) }
    }
}
// end snippet
