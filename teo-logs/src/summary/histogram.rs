//! A histogram of non-negative integers (response times in ms) for percentiles with a stated
//! error and bounded memory:
//!
//! - values below [`EXACT_BELOW`] (1024) have a bucket each: their percentiles are exact;
//! - above, each power of two `[2^e, 2^(e+1))` is cut into 512 equal buckets, so a bucket is at
//!   most 1/512 of its lower bound wide and its midpoint is within **1/1024 (≈ 0.1 %)** of any
//!   value in it ([`RELATIVE_ERROR`]).
//!
//! A percentile is the nearest-rank one: the smallest value `v` with at least `⌈p·n⌉` values
//! `≤ v`. The histogram answers the midpoint of the bucket holding that value, so the answer
//! `a` and the exact percentile `x` satisfy `|a − x| ≤ x / 1024` (and `a = x` below 1024).
//! Buckets are allocated up to the largest value seen: at most 28,672 counters (224 KiB) for
//! values up to `i64::MAX`, about 6,000 for values under an hour.

/// Values below this are counted exactly.
pub const EXACT_BELOW: u64 = 1024;
/// Sub-buckets per power of two above [`EXACT_BELOW`] (`2^SUB_BITS`).
const SUB_BITS: u32 = 9;
const SUB: usize = 1 << SUB_BITS;
/// The bound on `|answer − exact| / exact` of a percentile at or above [`EXACT_BELOW`].
pub const RELATIVE_ERROR: f64 = 1.0 / 1024.0;

/// Counts of non-negative integers in buckets, with their count, sum, minimum and maximum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    sum: u128,
    min: Option<u64>,
    max: Option<u64>,
}

fn index(v: u64) -> usize {
    if v < EXACT_BELOW {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // ≥ 10
    let shift = e - SUB_BITS;
    let m = (v >> shift) as usize; // in [512, 1024)
    EXACT_BELOW as usize + (e as usize - 10) * SUB + (m - SUB)
}

/// The values a bucket holds: `[low, high]`.
fn bounds(i: usize) -> (u64, u64) {
    if i < EXACT_BELOW as usize {
        return (i as u64, i as u64);
    }
    let j = i - EXACT_BELOW as usize;
    let e = 10 + (j / SUB) as u32;
    let m = (SUB + j % SUB) as u64;
    let shift = e - SUB_BITS;
    let low = m << shift;
    let high = low.saturating_add((1u64 << shift) - 1);
    (low, high)
}

impl Histogram {
    /// An empty histogram (no buckets allocated yet).
    pub fn new() -> Histogram {
        Histogram::default()
    }

    /// Counts one value.
    pub fn add(&mut self, value: u64) {
        self.add_n(value, 1);
    }

    /// Counts `value` `n` times.
    pub fn add_n(&mut self, value: u64, n: u64) {
        if n == 0 {
            return;
        }
        let i = index(value);
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] = self.counts[i].saturating_add(n);
        self.count = self.count.saturating_add(n);
        self.sum = self.sum.saturating_add(u128::from(value) * u128::from(n));
        self.min = Some(self.min.map_or(value, |m| m.min(value)));
        self.max = Some(self.max.map_or(value, |m| m.max(value)));
    }

    /// Adds the values counted by `other`.
    pub fn merge(&mut self, other: &Histogram) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a = a.saturating_add(*b);
        }
        self.count = self.count.saturating_add(other.count);
        self.sum = self.sum.saturating_add(other.sum);
        self.min = match (self.min, other.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max = match (self.max, other.max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact.
    pub fn min(&self) -> Option<u64> {
        self.min
    }

    /// Exact.
    pub fn max(&self) -> Option<u64> {
        self.max
    }

    /// Exact (the sum is kept apart from the buckets).
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The nearest-rank percentile `per_mille / 1000` (e.g. 990 for p99), within the module's
    /// bound; `None` without values.
    pub fn percentile(&self, per_mille: u32) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let per_mille = u128::from(per_mille.clamp(1, 1000));
        let rank = (u128::from(self.count) * per_mille).div_ceil(1000).max(1);
        let mut seen: u128 = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u128::from(c);
            if seen >= rank {
                let (low, high) = bounds(i);
                let mid = low + (high - low) / 2;
                // Never outside what was seen.
                let mid = mid.clamp(self.min.unwrap_or(mid), self.max.unwrap_or(mid));
                return Some(mid);
            }
        }
        self.max
    }
}

/// The exact nearest-rank percentile of sorted values (for tests and checks).
pub fn exact_percentile(sorted: &[u64], per_mille: u32) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let per_mille = u128::from(per_mille.clamp(1, 1000));
    let rank = (sorted.len() as u128 * per_mille).div_ceil(1000).max(1) as usize;
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_tile_the_values() {
        // Each bucket starts right after the previous one ends, up to u64::MAX.
        let last = index(u64::MAX);
        assert_eq!(last, 1024 + 54 * 512 - 1);
        let mut next = 0u64;
        for i in 0..=last {
            let (low, high) = bounds(i);
            assert_eq!(low, next, "bucket {i}");
            assert_eq!(index(low), i);
            assert_eq!(index(high), i);
            assert!(
                i < 1024 || (high - low + 1) as f64 <= low as f64 / 512.0,
                "bucket {i} too wide"
            );
            next = high.wrapping_add(1);
        }
        assert_eq!(next, 0, "ends at u64::MAX");
    }

    fn check(values: &mut [u64]) {
        let mut h = Histogram::new();
        for &v in values.iter() {
            h.add(v);
        }
        values.sort_unstable();
        for per_mille in [1, 100, 500, 900, 950, 990, 999, 1000] {
            let exact = exact_percentile(values, per_mille).unwrap();
            let got = h.percentile(per_mille).unwrap();
            if exact < EXACT_BELOW {
                assert_eq!(got, exact, "p{per_mille}");
            } else {
                let error = (got as f64 - exact as f64).abs() / exact as f64;
                assert!(
                    error <= RELATIVE_ERROR,
                    "p{per_mille}: {got} vs {exact} ({error})"
                );
            }
        }
        assert_eq!(h.min(), values.first().copied());
        assert_eq!(h.max(), values.last().copied());
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64;
        assert!((h.mean().unwrap() - mean).abs() < 1e-6 * mean.max(1.0));
    }

    #[test]
    fn percentiles_are_within_the_stated_error() {
        let mut rng = fastrand::Rng::with_seed(7);
        // Log-normal-ish response times: most under a second, a long tail to minutes.
        let mut times: Vec<u64> = (0..50_000)
            .map(|_| {
                let z: f64 = (0..12).map(|_| rng.f64()).sum::<f64>() - 6.0;
                (f64::exp(5.5 + 1.4 * z)) as u64
            })
            .collect();
        check(&mut times);
        // All large: every percentile in the log buckets.
        let mut large: Vec<u64> = (0..20_000).map(|_| rng.u64(1_000..10_000_000)).collect();
        check(&mut large);
        // All small: exact.
        let mut small: Vec<u64> = (0..5_000).map(|_| rng.u64(0..1024)).collect();
        check(&mut small);
        // Extremes.
        check(&mut [0, i64::MAX as u64, u64::MAX, 1023, 1024, 1025]);
        check(&mut [42]);
    }

    #[test]
    fn merge_equals_one_pass() {
        let mut rng = fastrand::Rng::with_seed(8);
        let values: Vec<u64> = (0..10_000).map(|_| rng.u64(0..100_000)).collect();
        let mut one = Histogram::new();
        let (mut a, mut b) = (Histogram::new(), Histogram::new());
        for (i, &v) in values.iter().enumerate() {
            one.add(v);
            if i % 2 == 0 { &mut a } else { &mut b }.add(v);
        }
        a.merge(&b);
        assert_eq!(a, one);
        assert_eq!(Histogram::new().percentile(500), None);
    }
}
