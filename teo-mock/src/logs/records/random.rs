//! The draws records are made of: weighted tables, per-record sentinel noise and the distributions of sizes and times.

/// Which fields of a record carry a sentinel: 5 bits per field, a sentinel when they are all
/// 0, so each field independently about 3.1% (1 in 32) of the time.
#[derive(Clone, Copy)]
pub(crate) struct Noise(pub(crate) u64);

impl Noise {
    pub(crate) fn hit(self, field: u32) -> bool {
        (self.0 >> (5 * field)) & 31 == 0
    }

    /// `"-"` or `value`.
    pub(crate) fn pick(self, field: u32, value: &str) -> &str {
        if self.hit(field) {
            "-"
        } else {
            value
        }
    }

    /// -1 or `value`.
    pub(crate) fn number(self, field: u32, value: u64) -> i64 {
        if self.hit(field) {
            -1
        } else {
            value.min(i64::MAX as u64) as i64
        }
    }
}

/// Values drawn with integer weights.
pub(crate) struct Weighted<T: 'static> {
    pub(crate) items: &'static [(u32, T)],
    pub(crate) total: u32,
}

impl<T: 'static> Weighted<T> {
    pub(crate) const fn new(items: &'static [(u32, T)]) -> Weighted<T> {
        let mut total = 0;
        let mut i = 0;
        while i < items.len() {
            total += items[i].0;
            i += 1;
        }
        assert!(total > 0);
        Weighted { items, total }
    }

    pub(crate) fn pick(&self, rng: &mut fastrand::Rng) -> &'static T {
        let mut draw = rng.u32(..self.total);
        for (weight, item) in self.items {
            if draw < *weight {
                return item;
            }
            draw -= weight;
        }
        &self.items[self.items.len() - 1].1
    }
}

/// A standard normal draw, approximated by four uniforms (Irwin–Hall): cheap, and bounded at
/// ±3.46 σ, which keeps the long tails finite.
pub(crate) fn normal(rng: &mut fastrand::Rng) -> f64 {
    (rng.f64() + rng.f64() + rng.f64() + rng.f64() - 2.0) * 1.732_050_807_568_877_2
}

/// A log-normal draw with this median.
pub(crate) fn log_normal(rng: &mut fastrand::Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// A draw between `low` and `high`, uniform in log scale.
pub(crate) fn log_uniform(rng: &mut fastrand::Rng, low: f64, high: f64) -> f64 {
    low * (high / low).powf(rng.f64())
}

/// 1..=max, favouring small numbers (popular items).
pub(crate) fn zipf(rng: &mut fastrand::Rng, max: u64) -> u64 {
    let u = rng.f64();
    1 + ((max - 1) as f64 * u * u * u) as u64
}
