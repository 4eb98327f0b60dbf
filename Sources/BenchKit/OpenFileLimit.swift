// OpenFileLimit: raising the process's descriptor limit before opening thousands of sockets.
//
// Every connection is a file descriptor, and the usual soft limit is 1,024. The hard limit
// (set by the administrator) is the ceiling an unprivileged process may raise itself to. Child
// processes inherit the raised limit, which is how `Bench compare`'s servers get it too.

import CLinux
import Glibc

enum OpenFileLimit {
    /// Raises the soft RLIMIT_NOFILE to the hard limit and returns the limit now in force.
    @discardableResult
    static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}
