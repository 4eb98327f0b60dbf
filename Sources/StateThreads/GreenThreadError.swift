// GreenThreadError: the two ways a blocking call of the runtime can end without its event.
//
// Both mirror the State Threads library: a call given a timeout fails when the deadline passes
// first (its ETIME), and `GreenThread.interrupt()` makes a blocked thread's call fail at once
// (its EINTR). Ordinary system-call failures are `SystemCallError`s, as everywhere else.

public enum GreenThreadError: Error, Equatable, CustomStringConvertible {
    /// The call's timeout passed before the descriptor became ready (or the condition signalled).
    case timedOut
    /// Another green thread called `interrupt()` on this one.
    case interrupted

    public var description: String {
        switch self {
        case .timedOut: "timed out"
        case .interrupted: "interrupted"
        }
    }
}
