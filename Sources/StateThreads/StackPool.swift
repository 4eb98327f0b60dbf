// StackPool: where green threads' stacks come from, and where they go when a thread finishes.
//
// Each stack is one `mmap` of `guardSize + stackSize` bytes. The lowest `guardSize` bytes are the
// overflow zone; the thread's record sits at the very top; the thread's frames grow down from
// just below the record:
//
//     base                      base + guardSize                              top
//     | guard page(s) or canary | ........ free stack <- frames | ThreadRecord |
//
// Overflow must be caught, never silent. The usual tool is a guard page: `mprotect(PROT_NONE)`
// on the zone, so the first touch past the end faults and StackOverflowReporter names the
// thread. But every guard splits the mapping in two kernel mappings (VMAs), and the kernel allows
// a process only `vm.max_map_count` of them (65,530 by default): about 32,000 guarded stacks.
// Stacks beyond that keep the zone readable and writable but *zero*, and the scheduler checks a
// few words of it every time the thread switches out (`canaryIntact`): a thread that overflowed
// has written there. Reading a never-written page maps the kernel's shared zero page, so the
// check costs no memory. Unguarded stacks also merge into one mapping, so they cost no VMAs.
//
// Finished stacks are recycled: up to `warmLimit` keep their touched pages and their record, so
// the next spawn costs a few stores; beyond that, `madvise(MADV_DONTNEED)` hands their memory back
// to the kernel and they wait in the cold list, still mapped, for a later burst of spawns. Stacks
// are only unmapped when `Scheduler.run` returns.

import Glibc

/// One green thread's stack mapping.
struct StackRegion {
    /// Bytes at the bottom of every stack that the thread must never reach.
    static let guardSize = 16 * 1024

    /// The lowest address of the mapping (the bottom of the guard zone).
    let base: UnsafeMutableRawPointer
    /// The whole mapping: guard zone + stack (with the record at its top).
    let size: Int
    /// Whether the guard zone is a `PROT_NONE` guard page (else a zero-filled canary zone).
    let guarded: Bool

    var usableBottom: UnsafeMutableRawPointer { base + Self.guardSize }
    var top: UnsafeMutableRawPointer { base + size }

    /// Whether `address` lies in this stack's guard zone.
    func guardZoneContains(_ address: UnsafeRawPointer?) -> Bool {
        guard let address else { return false }
        return address >= UnsafeRawPointer(base) && address < UnsafeRawPointer(usableBottom)
    }

    /// Whether a stack pointer has gone below this stack (by less than 64 MiB, to tell an
    /// overflow from a pointer into some unrelated mapping).
    func isBelow(_ stackPointer: UnsafeRawPointer?) -> Bool {
        guard let stackPointer else { return false }
        let bottom = UnsafeRawPointer(usableBottom)
        return stackPointer < bottom && bottom - stackPointer < 64 << 20
    }

    // snippet: canary
    /// For a stack without a guard page: whether the zone below it is still zero where we look.
    /// Any frame that grew into the zone has written return addresses or saved registers there,
    /// so the words closest to the usable stack are the ones sampled.
    func canaryIntact() -> Bool {
        let zoneTop = UnsafeRawPointer(usableBottom)
        func word(_ distance: Int) -> UInt64 { zoneTop.load(fromByteOffset: -distance, as: UInt64.self) }
        return word(8) | word(64) | word(256) | word(512) | word(1024) | word(2048) | word(3072) | word(4096) == 0
    }
    // end snippet

    /// How many bytes from the top have ever been written: the stack's high-water mark. Only
    /// meaningful on a stack that started out zero (a fresh mapping).
    func bytesEverUsed() -> Int {
        var address = UnsafeRawPointer(usableBottom)
        let end = UnsafeRawPointer(top)
        while address < end && address.load(as: UInt64.self) == 0 {
            address += 8
        }
        return end - address
    }
}

/// A stack could not be mapped: the process is out of memory, address space or mappings.
public struct StackAllocationError: Error, CustomStringConvertible {
    public let stackSize: Int
    public let code: Int32

    public var description: String {
        "cannot map a \(stackSize / 1024) KiB green-thread stack: mmap(2) failed: \(String(cString: strerror(code))). "
            + "The process has run out of memory, address space (ulimit -v) or kernel mappings "
            + "(vm.max_map_count); run fewer green threads at once or give them smaller stacks (stackSize)."
    }
}

struct StackPool {
    /// Recycled stacks kept with their pages resident, ready for the next spawn.
    static let warmLimit = 1024

    /// Bytes per stack above the guard zone, the record included (a multiple of the page size).
    let stackSize: Int
    /// How many stacks may get a guard page before falling back to the canary.
    private(set) var guardLimit: Int
    private(set) var guardedCount = 0
    private(set) var mappedCount = 0
    /// Recycled stacks with their records, linked through `next` (last in, first out: the most
    /// recently used stack is the most likely to be in the cache).
    private var warm: ThreadPointer?
    private var warmCount = 0
    private var cold: [StackRegion] = []

    /// The bytes the record takes at the top of each stack, rounded to a cache line.
    static let recordSize = (MemoryLayout<ThreadRecord>.stride + 63) & ~63

    init(stackSize: Int, guardLimit: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        self.stackSize = (stackSize + page - 1) / page * page
        self.guardLimit = guardLimit
    }

    // snippet: take-stack
    /// A stack with a fresh record on it: a recycled one if there is one, else a new mapping.
    mutating func take() throws -> ThreadPointer {
        if let thread = warm {
            warm = thread.pointee.next
            warmCount -= 1
            thread.pointee.next = nil
            return thread
        }
        if let region = cold.popLast() { return Self.placeRecord(on: region) }
        return Self.placeRecord(on: try mapStack())
    }
    // end snippet

    /// A stack that has never been used, so `bytesEverUsed` is exact (for `measureStackUse`).
    mutating func takeFresh() throws -> ThreadPointer {
        Self.placeRecord(on: try mapStack())
    }

    /// Takes back the stack of a finished thread. It must not be the stack we are running on.
    mutating func give(_ thread: ThreadPointer) {
        let region = thread.pointee.stack
        if warmCount < Self.warmLimit {
            thread.pointee.reset()
            thread.pointee.next = warm
            warm = thread
            warmCount += 1
            return
        }
        thread.deinitialize(count: 1)
        // The pages read as zeros from now on, record included: a stale handle reads id 0.
        madvise(region.usableBottom, region.size - StackRegion.guardSize, MADV_DONTNEED)
        cold.append(region)
    }

    /// Unmaps every stack. Only when no green thread is left.
    mutating func unmapAll() {
        while let thread = warm {
            warm = thread.pointee.next
            let region = thread.pointee.stack
            thread.deinitialize(count: 1)
            munmap(region.base, region.size)
        }
        warmCount = 0
        for region in cold { munmap(region.base, region.size) }
        cold.removeAll()
        mappedCount = 0
    }

    // snippet: map-stack
    private mutating func mapStack() throws -> StackRegion {
        let size = StackRegion.guardSize + stackSize
        // Untouched pages cost nothing in any anonymous mapping: the kernel supplies a page at its
        // first touch. MAP_NORESERVE changes only the accounting: the stack is not counted in the
        // commit charge (Committed_AS), as it would be in full otherwise (ignored when
        // vm.overcommit_memory is 2, strict). MAP_STACK: no transparent huge pages.
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, flags, -1, 0),
              base != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw StackAllocationError(stackSize: stackSize, code: errno)
        }
        mappedCount += 1
        var guarded = false
        if guardedCount < guardLimit {
            if mprotect(base, StackRegion.guardSize, PROT_NONE) == 0 {
                guarded = true
                guardedCount += 1
            } else {
                guardLimit = guardedCount  // ENOMEM: the kernel's mapping limit; stop trying
            }
        }
        if !guarded && mappedCount - guardedCount == 1 {
            Diagnostics.write("StateThreads: green-thread stack \(mappedCount) and later ones get no guard page "
                + "(limit: \(guardLimit) guarded stacks, each costing two of the vm.max_map_count = "
                + "\(Diagnostics.maxMapCount()) kernel mappings); a canary is checked at every switch instead")
        }
        return StackRegion(base: base, size: size, guarded: guarded)
    }
    // end snippet

    private static func placeRecord(on region: StackRegion) -> ThreadPointer {
        let record = (region.top - recordSize).bindMemory(to: ThreadRecord.self, capacity: 1)
        record.initialize(to: ThreadRecord(stack: region))
        return record
    }
}
