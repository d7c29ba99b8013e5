//! Figures per hour (UTC), bounded: at most [`MAX_HOURS`] distinct hours are kept — the
//! earliest ones, whatever the order of the input — and records of later hours are added to
//! [`Hours::overflow`]. 6 months of hours fit.

use std::collections::BTreeMap;

/// Hours kept: 186 days (the longest retention of offline logs is 183).
pub const MAX_HOURS: usize = 186 * 24;
/// Milliseconds in an hour.
pub const HOUR_MS: i64 = 3_600_000;

/// What one hour counts.
pub trait Bucket: Default + Clone {
    /// Adds the figures of `other` (the same hour, counted elsewhere) to these.
    fn merge(&mut self, other: &Self);
}

/// Figures of type `B` per UTC hour, the earliest [`MAX_HOURS`] kept and the rest in one
/// overflow bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours<B> {
    /// Hours since the Unix epoch → figures.
    hours: BTreeMap<i64, B>,
    overflow: B,
}

impl<B: Bucket> Default for Hours<B> {
    fn default() -> Self {
        Hours {
            hours: BTreeMap::new(),
            overflow: B::default(),
        }
    }
}

/// The hour (since the epoch) of an instant in epoch milliseconds.
pub fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS)
}

impl<B: Bucket> Hours<B> {
    /// The bucket of the hour holding `ms` (epoch milliseconds), made if needed.
    pub fn at(&mut self, ms: i64) -> &mut B {
        let hour = hour_of(ms);
        if !self.hours.contains_key(&hour) && self.hours.len() >= MAX_HOURS {
            // Full: keep the earliest hours.
            match self.hours.last_key_value() {
                Some((&last, _)) if last > hour => {
                    if let Some(dropped) = self.hours.remove(&last) {
                        self.overflow.merge(&dropped);
                    }
                }
                _ => return &mut self.overflow,
            }
        }
        self.hours.entry(hour).or_default()
    }

    /// Adds the hours of `other`, keeping the earliest [`MAX_HOURS`] of both.
    pub fn merge(&mut self, other: &Hours<B>) {
        for (&hour, bucket) in &other.hours {
            self.at(hour * HOUR_MS).merge(bucket);
        }
        self.overflow.merge(&other.overflow);
    }

    /// (hour since the epoch, figures), earliest first.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &B)> {
        self.hours.iter().map(|(&h, b)| (h, b))
    }

    /// Hours kept (at most [`MAX_HOURS`]).
    pub fn len(&self) -> usize {
        self.hours.len()
    }

    /// Whether no hour was kept (no record had a time).
    pub fn is_empty(&self) -> bool {
        self.hours.is_empty()
    }

    /// What the hours past the earliest [`MAX_HOURS`] counted.
    pub fn overflow(&self) -> &B {
        &self.overflow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    struct N(u64);
    impl Bucket for N {
        fn merge(&mut self, other: &Self) {
            self.0 += other.0;
        }
    }

    #[test]
    fn records_go_to_their_utc_hour() {
        let mut h = Hours::<N>::default();
        // 2024-05-01T10:00:00Z and 10:59:59.999Z share an hour; 11:00 starts the next.
        let ten = 1_714_557_600_000;
        h.at(ten).0 += 1;
        h.at(ten + HOUR_MS - 1).0 += 1;
        h.at(ten + HOUR_MS).0 += 1;
        h.at(-1).0 += 1; // 1969-12-31T23:59:59.999Z: hour -1
        let got: Vec<(i64, u64)> = h.iter().map(|(k, v)| (k, v.0)).collect();
        assert_eq!(got, [(-1, 1), (ten / HOUR_MS, 2), (ten / HOUR_MS + 1, 1)]);
    }

    #[test]
    fn the_earliest_hours_are_kept_whatever_the_order() {
        let hours: Vec<i64> = (0..MAX_HOURS as i64 + 50).collect();
        let mut forward = Hours::<N>::default();
        let mut backward = Hours::<N>::default();
        let mut split = (Hours::<N>::default(), Hours::<N>::default());
        for &h in &hours {
            forward.at(h * HOUR_MS).0 += 1;
            if h % 2 == 0 {
                &mut split.0
            } else {
                &mut split.1
            }
            .at(h * HOUR_MS)
            .0 += 1;
        }
        for &h in hours.iter().rev() {
            backward.at(h * HOUR_MS).0 += 1;
        }
        split.0.merge(&split.1);
        for h in [&forward, &backward, &split.0] {
            assert_eq!(h.len(), MAX_HOURS);
            assert_eq!(h.iter().last().map(|(k, _)| k), Some(MAX_HOURS as i64 - 1));
            assert_eq!(h.overflow().0, 50);
        }
        assert_eq!(forward.hours, backward.hours);
        assert_eq!(forward.hours, split.0.hours);
    }
}
