// Bench: the command line over BenchKit, the benchmark library (load generation, side-by-side
// comparison, charts and micro-benchmarks). `swift run -c release Bench --help` lists them.

import BenchKit

BenchCommand.main()
