// RunnerAndMicroBenchmarkTests: the pieces `compare` and the micro-benchmarks stand on work —
// a server executable is started on port 0 and found, sampled through /proc, loaded and stopped;
// the pthread measurements run and return plausible (positive, finite) numbers; the toy
// server's byte-at-a-time mode is still the protocol. No number is compared with a speed.

@testable import BenchKit
import Glibc
import Harness
import Testing

/// The folder of the test executable, where SwiftPM also puts the Bench executable.
let buildFolder: String = ServerUnderTest.benchFolder

@Suite("Runner, sampler, micro-benchmarks")
struct RunnerAndMicroBenchmarkTests {
    @Test("ServerProcess starts a server on port 0, learns its port, and the load runs against it")
    func serverRunner() throws {
        let bench = buildFolder + "/Bench"
        try #require(access(bench, X_OK) == 0, "no Bench executable at \(bench)")
        let log = "/tmp/bench-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { unlink(log) }
        let runner = try ServerProcess(path: bench, name: "toy-server", arguments: ["toy-server"], outputPath: log)
        defer { runner.stop() }
        #expect(runner.port != 0)
        let sample = try runner.sampler.sample()
        #expect(sample.residentBytes > 0)
        #expect(sample.threads >= 1)
        let report = try LoadGenerator(shortLoad(port: runner.port, clients: 2)).run()
        #expect(report.succeeded, "\(report.lines)")
        #expect(report.messages > 0)
        runner.stop()
        #expect(kill(runner.pid, 0) == -1)  // stopped and reaped
    }

    @Test("ServerProcess reports a server that exits instead of listening")
    func serverThatExits() throws {
        let log = "/tmp/bench-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { unlink(log) }
        #expect(throws: HarnessError.self) {
            _ = try ServerProcess(path: "/bin/false", name: "false", outputPath: log, startupTimeout: 5)
        }
    }

    @Test("the toy server's per-byte and per-read modes both speak the protocol", arguments: ToyServer.ReplyWrites.allCases)
    func toyServer(writes: ToyServer.ReplyWrites) throws {
        let server = try ToyServer(writes: writes, noDelay: true)
        try server.start()
        defer { server.stop() }
        let report = try LoadGenerator(shortLoad(port: server.port, clients: 2)).run()
        #expect(report.succeeded, "\(report.lines)")
        #expect(report.messages > 0)
    }

    @Test("pthread micro-benchmarks produce positive, finite figures")
    func microBenchmarks() throws {
        let spawn = try PthreadCosts.createAndJoin(iterations: 20)
        let handoff = try PthreadCosts.handoff(rounds: 50)
        let memory = try PthreadCosts.idleThreadMemory(count: 50, stackSize: 64 * 1024)
        for value in [spawn, handoff] { #expect(value > 0 && value.isFinite) }
        // Only finite: other tests run in this process at the same time, so the process's RSS
        // may shrink while the threads park, and the sign of the difference proves nothing.
        #expect(memory.isFinite)
    }

    @Test("green-thread micro-benchmarks produce positive, finite figures")
    func greenMicroBenchmarks() throws {
        let figures = [
            try GreenCosts.spawnAndJoin(iterations: 100),
            try GreenCosts.yieldSwitch(switches: 200),
            try GreenCosts.handoff(rounds: 100),
        ]
        for value in figures { #expect(value > 0 && value.isFinite) }
    }

    @Test("threads-memory measures in a fresh child process, where each parked thread adds resident pages")
    func threadsMemoryProbe() throws {
        try #require(access(buildFolder + "/Bench", X_OK) == 0, "no Bench executable in \(buildFolder)")
        for kind in ThreadsMemoryCommand.kinds {
            let bytes = try ChildProcess.runBench(["threads-memory", "--probe", kind.id, "--counts", "20"])
            #expect(bytes > 0 && bytes.isFinite, "\(kind.label): \(bytes)")
        }
    }

    @Test("the median of an odd and an even number of runs")
    func median() {
        #expect(MicroBenchmark.median([1, 2, 9]) == 2)
        #expect(MicroBenchmark.median([1, 2, 4, 9]) == 3)
        #expect(MicroBenchmark.median([]) == 0)
    }

    @Test("/proc readings of this process make sense")
    func procSampler() throws {
        let sample = try ProcSampler.current.sample()
        #expect(sample.residentBytes > 1 << 20)
        #expect(sample.threads >= 1)
        #expect(sample.cpuSeconds >= 0)
        #expect(try ProcSampler.current.exactResidentBytes() > 1 << 20)
    }
}
