// SplitMix64: the one seeded random number generator of the tests and tools.
//
// A test that draws random inputs must be replayable: the same seed gives the same inputs, so a
// failure seen once can be run again under a debugger. SplitMix64 (Steele, Lea and Flood, 2014)
// is a few lines, passes the usual statistical batteries, and is what everything here seeds.

/// A seeded pseudo-random generator, so a failing run can be replayed from its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
