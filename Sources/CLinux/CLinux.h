// CLinux.h: Linux-only system headers that `import Glibc` does not bring into Swift.
//
// Header-only on purpose: nothing here is compiled, Swift imports the declarations straight from
// the system headers. The event loop of Part 4 needs epoll and eventfd, and ServerCore's
// SignalDescriptor (Parts 4 and 5) signalfd; the green-thread scheduler of Part 5 sleeps in the same epoll. `accept4` lives in <sys/socket.h> but is declared
// only under _GNU_SOURCE, which the Glibc module was built without, so it is declared here too.
#ifndef CLINUX_H
#define CLINUX_H

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#ifndef SOCK_NONBLOCK
#error "CLinux expects Linux's SOCK_NONBLOCK"
#endif

// Accepts a connection and sets flags (SOCK_NONBLOCK, SOCK_CLOEXEC) on the new socket in the
// same system call. Same declaration as glibc's under _GNU_SOURCE.
extern int accept4(int fd, struct sockaddr *addr, socklen_t *addr_len, int flags);

#endif
