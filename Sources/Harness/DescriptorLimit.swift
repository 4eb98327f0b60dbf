// DescriptorLimit: raising the process's descriptor limit before opening thousands of sockets.
//
// Every connection is a file descriptor, and the usual soft limit is 1,024. The hard limit
// (set by the administrator) is the ceiling an unprivileged process may raise itself to. Child
// processes inherit the raised limit, which is how the servers a test or `Bench compare`
// starts afterwards get it too.

import Glibc
import ServerCore

/// Raises the soft RLIMIT_NOFILE to at least `wanted`; throws if the hard limit is lower.
public func raiseDescriptorLimit(to wanted: Int) throws {
    var limit = try currentDescriptorLimit()
    guard limit.rlim_cur < rlim_t(wanted) else { return }
    guard limit.rlim_max >= rlim_t(wanted) else {
        throw HarnessError("RLIMIT_NOFILE hard limit is \(limit.rlim_max); this needs \(wanted)")
    }
    limit.rlim_cur = rlim_t(wanted)
    try retryingOnInterrupt("setrlimit(2)") { setrlimit(resource, &limit) }
}

/// Raises the soft RLIMIT_NOFILE to the hard limit and returns the limit now in force.
@discardableResult
public func raiseDescriptorLimitToHardLimit() -> Int {
    guard var limit = try? currentDescriptorLimit() else { return 1024 }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(resource, &raised) == 0 { limit = raised }
    }
    return limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
}

private func currentDescriptorLimit() throws -> rlimit {
    var limit = rlimit()
    try retryingOnInterrupt("getrlimit(2)") { getrlimit(resource, &limit) }
    return limit
}

private var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
