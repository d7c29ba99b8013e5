//! How many distinct values (L4 sessions) with bounded memory: exact while at most a limit
//! ([`EXACT_LIMIT`] by default; [`summarize`](crate::summarize)'s threads share it) of values
//! are seen (a set of their 64-bit hashes; two values colliding on 64
//! bits are counted once, a chance of about 1 in 10^8 at the limit), then HyperLogLog with
//! 2^14 registers: a standard error of 1.04/√16384 ≈ **0.81 %** (16 KiB).
//!
//! The hash has fixed keys so summaries of several files (threads) merge into the same count.

use std::collections::HashSet;

/// Distinct values counted exactly by default (as 64-bit hashes, ~16 bytes each in the set).
pub const EXACT_LIMIT: usize = 200_000;
const P: u32 = 14;
const REGISTERS: usize = 1 << P;
/// HyperLogLog's standard error with 2^14 registers.
pub const STANDARD_ERROR: f64 = 0.0081;

fn hash(value: &str) -> u64 {
    // Fixed keys: the same value hashes the same on every thread, so merged counts agree.
    ahash::RandomState::with_seeds(
        0x243f_6a88_85a3_08d3,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    )
    .hash_one(value)
}

/// A count of distinct values: exact up to a limit, then a HyperLogLog estimate.
#[derive(Debug, Clone)]
pub enum Distinct {
    /// The hashes seen, while there are at most `limit`.
    Exact {
        /// The 64-bit hashes of the values seen.
        set: HashSet<u64>,
        /// The most hashes kept before turning into a sketch.
        limit: usize,
    },
    /// HyperLogLog registers (2^14 of them): an estimate within [`STANDARD_ERROR`].
    Sketch(Box<[u8]>),
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct::with_limit(EXACT_LIMIT)
    }
}

impl Distinct {
    /// Exact up to `limit` distinct values, then a sketch.
    pub fn with_limit(limit: usize) -> Self {
        Distinct::Exact {
            set: HashSet::new(),
            limit,
        }
    }

    /// Counts `value` (once, however often it is added).
    pub fn add(&mut self, value: &str) {
        self.add_hash(hash(value));
    }

    fn add_hash(&mut self, h: u64) {
        match self {
            Distinct::Exact { set, limit } => {
                set.insert(h);
                if set.len() > *limit {
                    let mut registers = vec![0u8; REGISTERS].into_boxed_slice();
                    for &h in set.iter() {
                        sketch(&mut registers, h);
                    }
                    *self = Distinct::Sketch(registers);
                }
            }
            Distinct::Sketch(registers) => sketch(registers, h),
        }
    }

    /// Adds the values counted by `other`; the result is a sketch when either is one or the
    /// union passes the limit.
    pub fn merge(&mut self, other: Distinct) {
        match other {
            Distinct::Exact { set, .. } => {
                for h in set {
                    self.add_hash(h);
                }
            }
            Distinct::Sketch(theirs) => {
                if let Distinct::Exact { set, .. } = self {
                    let mut registers = vec![0u8; REGISTERS].into_boxed_slice();
                    for &h in set.iter() {
                        sketch(&mut registers, h);
                    }
                    *self = Distinct::Sketch(registers);
                }
                if let Distinct::Sketch(mine) = self {
                    for (a, b) in mine.iter_mut().zip(theirs.iter()) {
                        *a = (*a).max(*b);
                    }
                }
            }
        }
    }

    /// Whether the count is exact (no sketch yet).
    pub fn is_exact(&self) -> bool {
        matches!(self, Distinct::Exact { .. })
    }

    /// The count: exact, or HyperLogLog's estimate.
    pub fn count(&self) -> u64 {
        match self {
            Distinct::Exact { set, .. } => set.len() as u64,
            Distinct::Sketch(registers) => estimate(registers),
        }
    }
}

fn sketch(registers: &mut [u8], h: u64) {
    let i = (h >> (64 - P)) as usize;
    // The rank of the first 1 bit in the other 50 bits (1-based), at most 51.
    let rest = (h << P) | (1 << (P - 1));
    let rank = rest.leading_zeros() as u8 + 1;
    if let Some(r) = registers.get_mut(i) {
        *r = (*r).max(rank);
    }
}

fn estimate(registers: &[u8]) -> u64 {
    let m = registers.len() as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let sum: f64 = registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
    let raw = alpha * m * m / sum;
    let zeros = registers.iter().filter(|&&r| r == 0).count();
    let e = if raw <= 2.5 * m && zeros > 0 {
        // Linear counting for small cardinalities.
        m * (m / zeros as f64).ln()
    } else {
        raw
    };
    e.round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_then_within_the_sketch_error() {
        let mut d = Distinct::default();
        for i in 0..1000 {
            d.add(&format!("s{}", i % 600));
        }
        assert!(d.is_exact());
        assert_eq!(d.count(), 600);

        let n = 600_000u64;
        let (mut a, mut b) = (Distinct::default(), Distinct::default());
        for i in 0..n {
            let v = format!("session-{i}");
            // Overlapping halves: a has [0, 0.6n), b has [0.4n, n).
            if i < n * 6 / 10 {
                a.add(&v);
            }
            if i >= n * 4 / 10 {
                b.add(&v);
            }
        }
        assert!(!a.is_exact());
        a.merge(b);
        let error = (a.count() as f64 - n as f64).abs() / n as f64;
        // Within 4 standard errors.
        assert!(error < 4.0 * STANDARD_ERROR, "{} vs {n}", a.count());
    }

    #[test]
    fn shares_merge_into_the_whole_limit() {
        // Two threads with half the limit each: exact within their share, and still exact once
        // merged into a count of the whole limit.
        let (mut a, mut b) = (Distinct::with_limit(50), Distinct::with_limit(50));
        for i in 0..50 {
            a.add(&format!("a{i}"));
            b.add(&format!("b{i}"));
        }
        let mut whole = Distinct::with_limit(100);
        whole.merge(a);
        whole.merge(b);
        assert!(whole.is_exact());
        assert_eq!(whole.count(), 100);
        // A thread past its share sketches; so does the merged count.
        let mut past = Distinct::with_limit(50);
        for i in 0..51 {
            past.add(&format!("p{i}"));
        }
        assert!(!past.is_exact());
        let mut whole = Distinct::with_limit(100);
        whole.merge(past);
        assert!(!whole.is_exact());
        assert!(whole.count().abs_diff(51) <= 2, "{}", whole.count());
    }
}
