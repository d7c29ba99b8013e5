//! The heaviest keys of a stream with bounded memory: exact while the distinct keys stay within
//! the table's capacity, then weighted Space-Saving (Metwally, Agrawal, El Abbadi 2005).
//!
//! Each entry counts records and bytes; one of them (the table's [`By`]) orders it. While
//! exact, every figure is exact. Once a key arrives with the table full, the entry of least
//! weight `min` is given to it, starting at `min + w` with an error of `min`: from then on
//!
//! - a listed key's weight is over-counted by at most its `error` (`true ≤ weight ≤ true + error`);
//! - a key not listed has a true weight of at most [`TopN::floor`];
//! - both are at most `N / capacity`, `N` the total weight, so every key heavier than that
//!   is listed;
//! - the other figure (bytes of a table by records, records of a table by bytes) is what was
//!   counted while the key was listed: a lower bound.
//!
//! Merging two tables (summaries of several files read on several threads) is exact when the
//! union of their keys fits; an exact table merged into an approximate one is a stream of
//! weighted keys for it; otherwise merging follows the mergeable Space-Saving rule (a key missing
//! from a full table is taken at that table's least weight), which keeps the same bounds with
//! `N` the weight of both.
//!
//! Keys longer than the table's `max_key` bytes are cut at a character boundary and marked
//! truncated (such keys sharing their first `max_key` bytes are counted together); so memory
//! is at most about `capacity × (max_key + 64)` bytes whatever the input. A key already listed
//! is found by `&str` without allocating.

use std::cmp::Ordering;
use std::sync::OnceLock;

use hashbrown::HashTable;

/// Which figure orders a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// By the number of records with the key.
    Records,
    /// By the bytes of the records with the key.
    Bytes,
}

/// One key's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopEntry {
    /// The key as counted (cut to the table's `max_key` bytes when `truncated`).
    pub key: String,
    /// The key was longer than `max_key` bytes and is cut.
    pub truncated: bool,
    /// Records with the key (see the module docs for the bounds once approximate).
    pub records: u64,
    /// Bytes of the records with the key (see the module docs for the bounds once approximate).
    pub bytes: u64,
    /// How much the ordering figure may be over-counted (0 while the table is exact).
    pub error: u64,
}

#[derive(Debug, Clone)]
struct Slot {
    key: Box<str>,
    truncated: bool,
    hash: u64,
    records: u64,
    bytes: u64,
    error: u64,
}

/// The hasher of every table in the process: random keys (no chosen-key collisions), shared so
/// merged tables reuse their stored hashes.
fn hasher() -> &'static ahash::RandomState {
    static STATE: OnceLock<ahash::RandomState> = OnceLock::new();
    STATE.get_or_init(ahash::RandomState::new)
}

fn hash_key(key: &str, truncated: bool) -> u64 {
    hasher().hash_one((key, truncated))
}

/// `key` cut to at most `max` bytes at a character boundary, and whether it was cut.
pub(crate) fn cut(key: &str, max: usize) -> (&str, bool) {
    if key.len() <= max {
        return (key, false);
    }
    let mut end = max;
    while end > 0 && !key.is_char_boundary(end) {
        end -= 1;
    }
    (&key[..end], true)
}

/// A table of the heaviest keys (see the module's documentation).
#[derive(Debug, Clone)]
pub struct TopN {
    by: By,
    capacity: usize,
    max_key: usize,
    index: HashTable<u32>,
    slots: Vec<Slot>,
    /// Approximate mode only: a min-heap of slot numbers by weight, and each slot's place in it.
    heap: Vec<u32>,
    place: Vec<u32>,
    approximate: bool,
    floor: u64,
    total_records: u64,
    total_bytes: u64,
    absent_records: u64,
    absent_bytes: u64,
}

impl TopN {
    /// A table ordered `by`, exact up to `capacity` distinct keys (at least 1), keys cut at
    /// `max_key` bytes.
    pub fn new(by: By, capacity: usize, max_key: usize) -> TopN {
        TopN {
            by,
            capacity: capacity.clamp(1, u32::MAX as usize),
            max_key: max_key.max(1),
            index: HashTable::new(),
            slots: Vec::new(),
            heap: Vec::new(),
            place: Vec::new(),
            approximate: false,
            floor: 0,
            total_records: 0,
            total_bytes: 0,
            absent_records: 0,
            absent_bytes: 0,
        }
    }

    /// The figure that orders the table.
    pub fn by(&self) -> By {
        self.by
    }

    /// The most keys the table holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether keys were dropped: figures are then within the documented bounds, not exact.
    pub fn is_approximate(&self) -> bool {
        self.approximate
    }

    /// The most any key not listed may weigh (0 while exact).
    pub fn floor(&self) -> u64 {
        self.floor
    }

    /// The largest error of any listed key, i.e. the bound on over-counting (0 while exact).
    pub fn max_error(&self) -> u64 {
        self.slots.iter().map(|s| s.error).max().unwrap_or(0)
    }

    /// Distinct keys held (every key seen while exact).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no key was counted.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Records and bytes added, with or without a key.
    pub fn totals(&self) -> (u64, u64) {
        (self.total_records, self.total_bytes)
    }

    /// Records and bytes added without a key.
    pub fn absent(&self) -> (u64, u64) {
        (self.absent_records, self.absent_bytes)
    }

    /// One record of `bytes` under `key` (`None`: the member was absent).
    pub fn add(&mut self, key: Option<&str>, bytes: u64) {
        self.add_weighted(key, 1, bytes);
    }

    /// `records` records of `bytes` bytes in all under `key`.
    pub fn add_weighted(&mut self, key: Option<&str>, records: u64, bytes: u64) {
        self.total_records = self.total_records.saturating_add(records);
        self.total_bytes = self.total_bytes.saturating_add(bytes);
        let Some(key) = key else {
            self.absent_records = self.absent_records.saturating_add(records);
            self.absent_bytes = self.absent_bytes.saturating_add(bytes);
            return;
        };
        let (key, truncated) = cut(key, self.max_key);
        let hash = hash_key(key, truncated);
        self.add_hashed(key, truncated, hash, records, bytes, 0);
    }

    fn weight_of(&self, slot: &Slot) -> u64 {
        match self.by {
            By::Records => slot.records,
            By::Bytes => slot.bytes,
        }
    }

    fn weight(&self, i: u32) -> u64 {
        self.weight_of(&self.slots[i as usize])
    }

    /// Adds to the key's entry, or makes one; `error` is carried in from a merged table.
    fn add_hashed(
        &mut self,
        key: &str,
        truncated: bool,
        hash: u64,
        records: u64,
        bytes: u64,
        error: u64,
    ) {
        let slots = &self.slots;
        if let Some(&i) = self.index.find(hash, |&i| {
            let s = &slots[i as usize];
            s.truncated == truncated && &*s.key == key
        }) {
            let slot = &mut self.slots[i as usize];
            slot.records = slot.records.saturating_add(records);
            slot.bytes = slot.bytes.saturating_add(bytes);
            slot.error = slot.error.saturating_add(error);
            if self.approximate {
                self.sift_down(self.place[i as usize] as usize);
            }
            return;
        }
        if self.slots.len() < self.capacity {
            let i = self.slots.len() as u32;
            let mut slot = Slot {
                key: key.into(),
                truncated,
                hash,
                records,
                bytes,
                error,
            };
            if self.approximate {
                // Only after merging tables of unequal capacities: a key not listed may
                // already weigh up to the floor.
                self.bump(&mut slot, self.floor);
            }
            self.slots.push(slot);
            let slots = &self.slots;
            self.index
                .insert_unique(hash, i, |&j| slots[j as usize].hash);
            if self.approximate {
                self.heap.push(i);
                self.place.push((self.heap.len() - 1) as u32);
                self.sift_up(self.heap.len() - 1);
            }
            return;
        }
        if !self.approximate {
            self.start_approximating();
        }
        // Space-Saving: the lightest entry becomes this key's, inheriting its weight as error.
        let i = self.heap[0];
        let min = self.weight(i);
        self.floor = self.floor.max(min);
        let old = self.slots[i as usize].hash;
        if let Ok(entry) = self.index.find_entry(old, |&j| j == i) {
            entry.remove();
        }
        let slot = &mut self.slots[i as usize];
        slot.key = key.into();
        slot.truncated = truncated;
        slot.hash = hash;
        slot.error = min.saturating_add(error);
        match self.by {
            By::Records => {
                slot.records = min.saturating_add(records);
                slot.bytes = bytes;
            }
            By::Bytes => {
                slot.bytes = min.saturating_add(bytes);
                slot.records = records;
            }
        }
        let slots = &self.slots;
        self.index
            .insert_unique(hash, i, |&j| slots[j as usize].hash);
        self.sift_down(0);
    }

    fn start_approximating(&mut self) {
        self.approximate = true;
        self.heap = (0..self.slots.len() as u32).collect();
        self.place = (0..self.slots.len() as u32).collect();
        for at in (0..self.heap.len() / 2).rev() {
            self.sift_down(at);
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.place[self.heap[a] as usize] = a as u32;
        self.place[self.heap[b] as usize] = b as u32;
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.weight(self.heap[parent]) <= self.weight(self.heap[at]) {
                return;
            }
            self.swap(at, parent);
            at = parent;
        }
    }

    /// Adds `m` to the slot's ordering figure and to its error.
    fn bump(&self, slot: &mut Slot, m: u64) {
        match self.by {
            By::Records => slot.records = slot.records.saturating_add(m),
            By::Bytes => slot.bytes = slot.bytes.saturating_add(m),
        }
        slot.error = slot.error.saturating_add(m);
    }

    /// Restores the heap below `at` after its weight grew.
    fn sift_down(&mut self, mut at: usize) {
        let len = self.heap.len();
        loop {
            let left = 2 * at + 1;
            if left >= len {
                return;
            }
            let right = left + 1;
            let mut least = left;
            if right < len && self.weight(self.heap[right]) < self.weight(self.heap[left]) {
                least = right;
            }
            if self.weight(self.heap[least]) >= self.weight(self.heap[at]) {
                return;
            }
            self.swap(at, least);
            at = least;
        }
    }

    /// The least weight listed when the table is full (what a missing key may weigh), else 0.
    fn missing_weight(&self) -> u64 {
        if self.approximate {
            self.heap.first().map_or(0, |&i| self.weight(i))
        } else {
            0
        }
    }

    /// Adds `other`'s counts: exact when both are exact and their keys fit together, else the
    /// mergeable Space-Saving rule (see the module's documentation).
    pub fn merge(&mut self, other: TopN) {
        self.total_records = self.total_records.saturating_add(other.total_records);
        self.total_bytes = self.total_bytes.saturating_add(other.total_bytes);
        self.absent_records = self.absent_records.saturating_add(other.absent_records);
        self.absent_bytes = self.absent_bytes.saturating_add(other.absent_bytes);
        if !other.approximate {
            // Exact figures are a stream of weighted keys: add them one by one (weighted
            // Space-Saving over this stream if the keys overflow the capacity, or when this
            // table already does). This is also what keeps merging a small file's table into a
            // full one cheap: no sort of the full table.
            for s in other.slots {
                self.add_hashed(&s.key, s.truncated, s.hash, s.records, s.bytes, 0);
            }
            return;
        }
        let m1 = self.missing_weight();
        let m2 = other.missing_weight();
        let mut slots = std::mem::take(&mut self.slots);
        let mut seen = vec![false; slots.len()];
        self.index.clear();
        {
            let s = &slots;
            for i in 0..s.len() as u32 {
                self.index
                    .insert_unique(s[i as usize].hash, i, |&j| s[j as usize].hash);
            }
        }
        for o in other.slots {
            let found = {
                let s = &slots;
                self.index
                    .find(o.hash, |&j| {
                        let x = &s[j as usize];
                        x.truncated == o.truncated && x.key == o.key
                    })
                    .copied()
            };
            match found {
                Some(j) => {
                    let x = &mut slots[j as usize];
                    x.records = x.records.saturating_add(o.records);
                    x.bytes = x.bytes.saturating_add(o.bytes);
                    x.error = x.error.saturating_add(o.error);
                    seen[j as usize] = true;
                }
                None => {
                    let mut o = o;
                    self.bump(&mut o, m1);
                    slots.push(o);
                }
            }
        }
        for (j, slot) in slots.iter_mut().enumerate() {
            if j < seen.len() && !seen[j] {
                match self.by {
                    By::Records => slot.records = slot.records.saturating_add(m2),
                    By::Bytes => slot.bytes = slot.bytes.saturating_add(m2),
                }
                slot.error = slot.error.saturating_add(m2);
            }
        }
        slots.sort_by(|a, b| self.order(a, b));
        let mut floor = self.floor.max(other.floor).max(m1.saturating_add(m2));
        if slots.len() > self.capacity {
            if let Some(first_dropped) = slots.get(self.capacity) {
                floor = floor.max(self.weight_of(first_dropped));
            }
            slots.truncate(self.capacity);
        }
        self.floor = floor;
        self.slots = slots;
        self.index.clear();
        let s = &self.slots;
        for i in 0..s.len() as u32 {
            self.index
                .insert_unique(s[i as usize].hash, i, |&j| s[j as usize].hash);
        }
        // From here on, keys are evicted from a heap (a table of fewer keys than its capacity
        // only after merging tables of unequal capacities).
        self.approximate = false;
        self.start_approximating();
    }

    /// Heaviest first; ties by key, so the order never depends on the input's order.
    fn order(&self, a: &Slot, b: &Slot) -> Ordering {
        self.weight_of(b)
            .cmp(&self.weight_of(a))
            .then_with(|| a.key.cmp(&b.key))
            .then_with(|| a.truncated.cmp(&b.truncated))
    }

    /// The `n` heaviest entries, heaviest first (ties by key).
    pub fn top(&self, n: usize) -> Vec<TopEntry> {
        let mut refs: Vec<&Slot> = self.slots.iter().collect();
        let n = n.min(refs.len());
        if n == 0 {
            return Vec::new();
        }
        if n < refs.len() {
            refs.select_nth_unstable_by(n - 1, |a, b| self.order(a, b));
            refs.truncate(n);
        }
        refs.sort_by(|a, b| self.order(a, b));
        refs.into_iter()
            .map(|s| TopEntry {
                key: s.key.to_string(),
                truncated: s.truncated,
                records: s.records,
                bytes: s.bytes,
                error: s.error,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A skewed stream: key `k` appears about `n / (k + 1)` times (Zipf), ids shuffled.
    fn zipf(n: usize, keys: usize, seed: u64) -> Vec<String> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let weights: Vec<f64> = (0..keys).map(|k| 1.0 / (k as f64 + 1.0)).collect();
        let total: f64 = weights.iter().sum();
        let mut cumulative = Vec::with_capacity(keys);
        let mut acc = 0.0;
        for w in &weights {
            acc += w / total;
            cumulative.push(acc);
        }
        (0..n)
            .map(|_| {
                let x = rng.f64();
                let k = cumulative.partition_point(|&c| c < x).min(keys - 1);
                format!("key-{k}")
            })
            .collect()
    }

    fn exact(stream: &[String]) -> HashMap<&str, u64> {
        let mut counts = HashMap::new();
        for k in stream {
            *counts.entry(k.as_str()).or_insert(0) += 1;
        }
        counts
    }

    #[test]
    fn exact_below_the_capacity() {
        let stream = zipf(20_000, 500, 1);
        let mut table = TopN::new(By::Records, 1000, 64);
        for (i, k) in stream.iter().enumerate() {
            table.add(Some(k), i as u64 % 7);
        }
        table.add(None, 5);
        assert!(!table.is_approximate());
        let counts = exact(&stream);
        let top = table.top(usize::MAX);
        assert_eq!(top.len(), counts.len());
        for e in &top {
            assert_eq!(e.records, counts[e.key.as_str()], "{}", e.key);
            assert_eq!(e.error, 0);
        }
        assert_eq!(table.absent(), (1, 5));
        assert_eq!(table.totals().0, 20_001);
        // Heaviest first, ties by key.
        for w in top.windows(2) {
            assert!(
                w[0].records > w[1].records
                    || (w[0].records == w[1].records && w[0].key < w[1].key)
            );
        }
    }

    /// Past the capacity: every listed count within its error, every missing key at most the
    /// floor, both at most N / capacity, and every key heavier than N / capacity listed.
    fn check_bounds(table: &TopN, stream: &[String]) {
        let counts = exact(stream);
        let n = stream.len() as u64;
        let bound = n / table.capacity() as u64;
        assert!(table.is_approximate());
        assert!(table.floor() <= bound, "{} > {bound}", table.floor());
        let listed = table.top(usize::MAX);
        assert_eq!(listed.len(), table.capacity());
        let mut in_table = std::collections::HashSet::new();
        for e in &listed {
            let truth = counts.get(e.key.as_str()).copied().unwrap_or(0);
            assert!(truth <= e.records, "{}: {truth} > {}", e.key, e.records);
            assert!(
                e.records <= truth + e.error,
                "{}: {} > {truth} + {}",
                e.key,
                e.records,
                e.error
            );
            assert!(e.error <= bound, "{} error {} > {bound}", e.key, e.error);
            in_table.insert(e.key.as_str());
        }
        for (k, &c) in &counts {
            if !in_table.contains(k) {
                assert!(c <= table.floor(), "{k}: {c} > floor {}", table.floor());
            }
            if c > bound {
                assert!(in_table.contains(k), "{k} ({c} > {bound}) not listed");
            }
        }
    }

    #[test]
    fn space_saving_bounds_hold_past_the_capacity() {
        let stream = zipf(60_000, 5_000, 2);
        let mut table = TopN::new(By::Records, 200, 64);
        for k in &stream {
            table.add(Some(k), 1);
        }
        check_bounds(&table, &stream);
        // The true heaviest keys come first.
        let top = table.top(3);
        assert_eq!(
            top.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["key-0", "key-1", "key-2"]
        );
    }

    #[test]
    fn merged_tables_keep_the_bounds() {
        let stream = zipf(60_000, 5_000, 3);
        let mut parts: Vec<TopN> = Vec::new();
        for chunk in stream.chunks(7_000) {
            let mut t = TopN::new(By::Records, 200, 64);
            for k in chunk {
                t.add(Some(k), 1);
            }
            parts.push(t);
        }
        let mut merged = TopN::new(By::Records, 200, 64);
        for p in parts {
            merged.merge(p);
        }
        assert_eq!(merged.totals().0, stream.len() as u64);
        check_bounds(&merged, &stream);
        assert_eq!(merged.top(1)[0].key, "key-0");
    }

    #[test]
    fn exact_merge_equals_one_pass() {
        let stream = zipf(10_000, 300, 4);
        let mut one = TopN::new(By::Bytes, 1000, 64);
        let mut a = TopN::new(By::Bytes, 1000, 64);
        let mut b = TopN::new(By::Bytes, 1000, 64);
        for (i, k) in stream.iter().enumerate() {
            one.add(Some(k), i as u64);
            if i % 3 == 0 { &mut a } else { &mut b }.add(Some(k), i as u64);
        }
        a.merge(b);
        assert_eq!(a.top(usize::MAX), one.top(usize::MAX));
        assert_eq!(a.totals(), one.totals());
    }

    #[test]
    fn weighted_by_bytes() {
        let mut t = TopN::new(By::Bytes, 2, 64);
        t.add(Some("a"), 100);
        t.add(Some("b"), 10);
        t.add(Some("c"), 1); // evicts b (10): c = 11, error 10
        let top = t.top(2);
        assert_eq!((top[0].key.as_str(), top[0].bytes), ("a", 100));
        assert_eq!(
            (
                top[1].key.as_str(),
                top[1].bytes,
                top[1].error,
                top[1].records
            ),
            ("c", 11, 10, 1)
        );
        assert_eq!(t.floor(), 10);
    }

    #[test]
    fn long_keys_are_cut_at_a_character_boundary() {
        let mut t = TopN::new(By::Records, 10, 7);
        t.add(Some("ééééééééé"), 0); // 18 bytes: cut to 6 ("ééé"), not inside the 4th 'é'
        t.add(Some("éééabcd"), 0); // 10 bytes: "ééé" + "a", cut
        t.add(Some("éééz"), 0); // 7 bytes: kept whole
        t.add(Some("éééé"), 0); // 8 bytes: cut to "ééé", like the first
        let top = t.top(10);
        assert_eq!(top.len(), 3, "{top:?}");
        let cut = top.iter().find(|e| e.key == "ééé").unwrap();
        assert!(cut.truncated);
        assert_eq!(cut.records, 2);
        let whole = top.iter().find(|e| e.key == "éééz").unwrap();
        assert!(!whole.truncated);
        let a = top.iter().find(|e| e.key == "éééa").unwrap();
        assert!(a.truncated);
    }
}
