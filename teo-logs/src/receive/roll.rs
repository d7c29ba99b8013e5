//! Rolling staged batches into the dataset, exactly once across restarts and receivers.
//!
//! A roll takes the batches staged now and goes through steps that can each be repeated:
//! 1. its manifest (`<staging>/rolls/<roll id>.json`: the batches, in order) is written and
//!    synced;
//! 2. each batch is claimed in the dataset: `_teo_received/<aa>/<batch id>.json` created only
//!    if absent (a hard link locally, `If-None-Match: *` in an object store), recording the
//!    roll. A claim by another roll means the batch was written already — a resend that
//!    reached this or another receiver — and it is left out;
//! 3. the claimed batches' records are written as files named `rt-<roll id>-<part>` in their
//!    partitions, the parts at once (whole files only; the same batches in the same order and
//!    parts give the same files);
//! 4. the manifest is marked written, then the staged batches and the manifest are removed.
//!
//! Into an object store, where each claim is a request, claims are made *ahead*: while batches
//! arrive, the next roll's manifest is extended and its new batches claimed, a group at a
//! time ([`Roller::claim_ahead`], on a thread of its own), so a roll that comes due has its
//! claims made already and only writes (it waits for claims on their way). Steps 1 and 2 are
//! the same, only earlier; a claim whose answer was lost (the store down) is made again by the
//! roll and found to be the roll's own.
//!
//! A receiver killed at any point finds the manifest when it starts and finishes the roll:
//! its own claims say "this roll", so the same batches are written again under the same names,
//! replacing what the first attempt left; nothing is lost (a batch leaves staging only after
//! its records are in whole files) and nothing is doubled (a batch is claimed once, and
//! written under one roll's names).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::dataset::{ConvertError, Dataset};
use crate::destination::CreateError;
use crate::receive::crash::{self, Step};
use crate::receive::stage::{is_batch_id, BatchRef, Encoding, Staging};
use crate::receive::typed;
use crate::records::Records;
use crate::{Format, Kind};

/// Where batch claims go in the dataset (engines skip `_`-prefixed directories).
pub const CLAIMS: &str = "_teo_received";
/// Parts a roll is written in at once, at most.
const MAX_PARTS: usize = 16;
/// Largest claim read back.
const MAX_CLAIM: u64 = 4 << 10;
/// Batches claimed ahead in one go, at most: the roll that comes due waits for one go at most.
const CLAIM_AHEAD_AT_ONCE: usize = 64;

/// Why a roll did not finish; its batches stay staged and the next roll tries again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RollError {
    /// Reading or writing the staging directory failed.
    #[error("{}: {what}: {source}", path.display())]
    Staging {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Claiming a batch in the dataset failed (the store is down, say).
    #[error("claiming {batch}: {source}")]
    Claim {
        /// `batch <id>`, or how many batches were claimed at once.
        batch: String,
        /// The destination's error.
        #[source]
        source: CreateError,
    },
    /// Writing the records failed.
    #[error(transparent)]
    Write(#[from] ConvertError),
    /// A manifest names a kind this version does not write.
    #[error("roll {roll}: unknown kind {kind:?}")]
    UnknownKind {
        /// The roll.
        roll: String,
        /// The kind.
        kind: String,
    },
}

/// What one roll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollReport {
    /// The roll's id (its files are `rt-<id>.<ext>`).
    pub roll: String,
    /// Batches written by this roll.
    pub batches: usize,
    /// Batches left out: written already by another roll (a resend).
    pub duplicates: usize,
    /// Records written.
    pub records: u64,
    /// Lines that could not be read back from staging (none unless staging was damaged).
    pub bad_lines: u64,
    /// Files written, relative to the dataset's root.
    pub files: Vec<PathBuf>,
    /// Bytes written into them.
    pub bytes: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    roll: String,
    batches: Vec<(String, String)>,
    /// Into how many parts each kind's batches are split, written at once (one per core when
    /// the roll began): recorded, so a roll finished on another machine writes the same files.
    #[serde(default = "one")]
    parts: usize,
    #[serde(default)]
    written: bool,
}

fn one() -> usize {
    1
}

#[derive(Debug, Serialize, Deserialize)]
struct Claim {
    roll: String,
}

/// Rolls one staging directory's batches into one dataset. One roller per staging directory.
#[derive(Debug, Clone)]
pub struct Roller {
    staging: Arc<Staging>,
    dataset: Dataset,
    zone: Option<String>,
    /// Held through a roll: rolls of one staging directory run one at a time (a second could
    /// remove a batch the first is reading).
    running: Arc<Mutex<()>>,
    /// Claims made ahead of the rolls.
    ahead: Arc<Mutex<Ahead>>,
    /// Told when claims made ahead are answered.
    answered: Arc<Condvar>,
    /// For durability tests: where to abort.
    pub(crate) crash: Option<Arc<crash::CrashPoint>>,
}

/// What is known of the claims made ahead of the rolls ([`Roller::claim_ahead`]).
#[derive(Debug, Default)]
struct Ahead {
    /// The roll that batches are claimed ahead for; its manifest is saved, with every batch
    /// in it, before the batch is claimed.
    open: Option<Manifest>,
    /// Bytes (as pushed) of the open roll's batches.
    open_pushed: u64,
    /// The batches of every manifest saved and not yet finished: a batch goes into one roll.
    assigned: HashSet<String>,
    /// Claims ahead are on their way (a roll waits for their answers rather than make them
    /// again: twice the requests, and the store busiest when the roll needs it).
    claiming: bool,
    /// Claims made ahead, answered: by batch, the roll claimed for and whether the claim is
    /// that roll's (a late answer must not speak for a later roll of a batch sent again).
    claimed: HashMap<String, (String, bool)>,
}

impl Roller {
    /// A roller of `staging` into `dataset`, records in the `zone=` partition `zone`.
    pub fn new(staging: Arc<Staging>, dataset: Dataset, zone: Option<String>) -> Roller {
        Roller {
            staging,
            dataset,
            zone,
            running: Arc::default(),
            ahead: Arc::default(),
            answered: Arc::default(),
            crash: None,
        }
    }

    /// Finishes every roll a killed process left (in the order they were started). Blocks.
    pub fn recover(&self) -> Result<Vec<RollReport>, RollError> {
        let _running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let mut reports = Vec::new();
        for name in self.manifests()? {
            reports.push(self.finish(self.load(&name)?, &HashMap::new())?);
        }
        Ok(reports)
    }

    /// The names of the manifests of rolls not finished, oldest first.
    fn manifests(&self) -> Result<Vec<String>, RollError> {
        let dir = self.staging.dir().join("rolls");
        let mut names: Vec<String> = fs::read_dir(&dir)
            .map_err(staging_error(&dir, "cannot list the rolls"))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
            .collect();
        names.sort();
        Ok(names)
    }

    fn load(&self, name: &str) -> Result<Manifest, RollError> {
        let path = self.staging.dir().join("rolls").join(name);
        let bytes = fs::read(&path).map_err(staging_error(&path, "cannot read the manifest"))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            staging_error(&path, "cannot read the manifest")(io::Error::new(
                io::ErrorKind::InvalidData,
                e,
            ))
        })
    }

    /// Finishes the oldest roll that failed part way, if any; else rolls the batches staged
    /// now (at most `max_bytes` of them as pushed, in the order they arrived: at least one),
    /// if there are any. Blocks.
    pub fn roll(&self, max_bytes: u64) -> Result<Option<RollReport>, RollError> {
        let _running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        // A roll that failed part way (some claims made, its files not all written) is finished
        // first, under its own id: a new roll would take those claims for another roll's and
        // leave the batches out — never written. So is the roll batches were claimed ahead for
        // (it is closed: later claims go to a new one).
        let mut ahead = self.ahead();
        while ahead.claiming {
            ahead = self.answered.wait(ahead).unwrap_or_else(|e| e.into_inner());
        }
        let open = ahead.open.as_ref().map(|o| o.roll.clone());
        let failed = self.manifests()?.into_iter().find(|name| {
            open.as_ref()
                .is_none_or(|roll| *name != format!("{roll}.json"))
        });
        if let Some(name) = failed {
            let manifest = self.load(&name)?;
            let known = known_claims(&ahead, &manifest);
            drop(ahead);
            return self.finish(manifest, &known).map(Some);
        }
        if let Some(mut manifest) = ahead.open.take() {
            // Closed now (later claims go to a new roll). Batches the claims ahead have not
            // reached yet join it, up to the roll's size.
            let mut bytes = std::mem::take(&mut ahead.open_pushed);
            let mut more = Vec::new();
            for batch in self.unassigned(&ahead)? {
                if bytes >= max_bytes {
                    break;
                }
                bytes += self.staging.pushed_size(&batch);
                more.push(batch.id.clone());
                manifest.batches.push((batch.kind, batch.id));
            }
            ahead.assigned.extend(more);
            // Saved whatever happened before: the manifest in memory is the roll's own account.
            if let Err(e) = self.save(&manifest) {
                ahead.open_pushed = bytes;
                ahead.open = Some(manifest);
                return Err(e);
            }
            let known = known_claims(&ahead, &manifest);
            drop(ahead);
            return self.finish(manifest, &known).map(Some);
        }
        let staged = self.unassigned(&ahead)?;
        if staged.is_empty() {
            return Ok(None);
        }
        let mut batches = Vec::new();
        let mut bytes = 0;
        for batch in staged {
            let size = self.staging.pushed_size(&batch);
            if !batches.is_empty() && bytes + size > max_bytes {
                break;
            }
            bytes += size;
            batches.push((batch.kind, batch.id));
        }
        let manifest = new_manifest(batches);
        self.save(&manifest)?;
        ahead
            .assigned
            .extend(manifest.batches.iter().map(|(_, id)| id.clone()));
        drop(ahead);
        self.finish(manifest, &HashMap::new()).map(Some)
    }

    /// Claims batches staged and not yet in a roll for the next roll, ahead of it: up to a
    /// group of them, if at least `at_least` are waiting and that roll holds less than
    /// `max_bytes` (as pushed). Its manifest is saved first. The number claimed. Blocks; made
    /// for rolls into an object store, where each claim is a request: by the time the roll is
    /// due its claims are made. Runs beside [`roll`](Self::roll): a roll waits for claims on
    /// their way, takes what was claimed and claims the rest itself.
    pub fn claim_ahead(&self, max_bytes: u64, at_least: usize) -> Result<usize, RollError> {
        let (roll, batches) = {
            let mut ahead = self.ahead();
            if ahead.open.is_some() && ahead.open_pushed >= max_bytes {
                return Ok(0);
            }
            let staged = self.unassigned(&ahead)?;
            if staged.len() < at_least.max(1) {
                return Ok(0);
            }
            let mut batches = Vec::new();
            let mut bytes = ahead.open_pushed;
            for batch in staged.into_iter().take(CLAIM_AHEAD_AT_ONCE) {
                if bytes >= max_bytes {
                    break;
                }
                bytes += self.staging.pushed_size(&batch);
                batches.push(batch);
            }
            // The batches are the open roll's from now on, in memory; they are claimed only
            // once its manifest on disk says so too (a failed save is made again by the next
            // claims or the roll).
            let manifest = ahead.open.get_or_insert_with(|| new_manifest(Vec::new()));
            manifest
                .batches
                .extend(batches.iter().map(|b| (b.kind.clone(), b.id.clone())));
            let roll = manifest.roll.clone();
            let saved = self.save(manifest);
            ahead.open_pushed = bytes;
            ahead.assigned.extend(batches.iter().map(|b| b.id.clone()));
            saved?;
            ahead.claiming = true;
            (roll, batches)
        };
        // Outside the lock, but flagged: a roll coming due waits for the answers.
        let answers = self.claim(&batches, &roll);
        let mut ahead = self.ahead();
        ahead.claiming = false;
        self.answered.notify_all();
        for (batch, ours) in batches.iter().zip(answers?) {
            if ahead.assigned.contains(&batch.id) {
                ahead.claimed.insert(batch.id.clone(), (roll.clone(), ours));
            }
        }
        Ok(batches.len())
    }

    /// Whether each claim is a request of its own (an object store): then claims are best
    /// made ahead.
    pub fn claims_are_requests(&self) -> bool {
        self.dataset.destination().store().is_some()
    }

    fn ahead(&self) -> std::sync::MutexGuard<'_, Ahead> {
        self.ahead.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The batches staged now that are in no roll, in the order they arrived.
    fn unassigned(&self, ahead: &Ahead) -> Result<Vec<BatchRef>, RollError> {
        let dir = self.staging.dir().to_owned();
        let mut staged = self
            .staging
            .list()
            .map_err(staging_error(&dir, "cannot list the staged batches"))?;
        staged.retain(|b| !ahead.assigned.contains(&b.id));
        self.staging.sort_by_arrival(&mut staged);
        Ok(staged)
    }

    fn manifest_path(&self, roll: &str) -> PathBuf {
        self.staging
            .dir()
            .join("rolls")
            .join(format!("{roll}.json"))
    }

    fn save(&self, manifest: &Manifest) -> Result<(), RollError> {
        let path = self.manifest_path(&manifest.roll);
        let bytes = serde_json::to_vec(manifest).unwrap_or_default();
        tc_runtime::fs::write_all_atomic(&path, &bytes, 0o600)
            .map_err(|e| staging_error(&path, "cannot write the manifest")(e.into()))
    }

    /// Finishes the roll of `manifest`: claims (but those `known`: made ahead, answered),
    /// files, marks, removal.
    fn finish(
        &self,
        mut manifest: Manifest,
        known: &HashMap<String, bool>,
    ) -> Result<RollReport, RollError> {
        let roll = manifest.roll.clone();
        let batches: Vec<BatchRef> = manifest
            .batches
            .iter()
            .filter(|(_, id)| is_batch_id(id))
            .map(|(kind, id)| BatchRef {
                kind: kind.clone(),
                id: id.clone(),
            })
            .collect();
        let mut report = RollReport {
            roll: roll.clone(),
            ..RollReport::default()
        };
        if !manifest.written {
            let unknown: Vec<BatchRef> = batches
                .iter()
                .filter(|b| !known.contains_key(&b.id))
                .cloned()
                .collect();
            let mut answers = self.claim(&unknown, &roll)?.into_iter();
            let claims: Vec<bool> = batches
                .iter()
                .map(|b| match known.get(&b.id) {
                    Some(&ours) => ours,
                    None => answers.next().unwrap_or(false),
                })
                .collect();
            let mut ours = Vec::new();
            for (batch, claimed) in batches.iter().zip(claims) {
                if claimed {
                    crash::reach(&self.crash, Step::Claimed);
                    ours.push(batch.clone());
                } else {
                    report.duplicates += 1;
                }
            }
            report.batches = ours.len();
            let known = |name: &str| Kind::ALL.iter().any(|k| k.as_str() == name);
            if let Some(other) = ours.iter().find(|b| !known(&b.kind)) {
                return Err(RollError::UnknownKind {
                    roll,
                    kind: other.kind.clone(),
                });
            }
            for &kind in Kind::ALL {
                let files: Vec<PathBuf> = ours
                    .iter()
                    .filter(|b| b.kind == kind.as_str())
                    .map(|b| self.staging.path(b))
                    .collect();
                for written in self.write_parts(kind, files, &roll, manifest.parts)? {
                    report.records += written.records;
                    report.bad_lines += written.bad_lines;
                    report.bytes += written.bytes_written;
                    report.files.extend(written.files);
                }
            }
            crash::reach(&self.crash, Step::Written);
            manifest.written = true;
            self.save(&manifest)?;
            crash::reach(&self.crash, Step::Marked);
        }
        let dir = self.staging.dir().to_owned();
        self.staging
            .remove(&batches)
            .map_err(staging_error(&dir, "cannot remove rolled batches"))?;
        let path = self.manifest_path(&roll);
        fs::remove_file(&path).map_err(staging_error(&path, "cannot remove the manifest"))?;
        tc_runtime::fs::sync_dir(&dir.join("rolls"))
            .map_err(|e| staging_error(&dir, "cannot sync the rolls")(e.into()))?;
        let mut ahead = self.ahead();
        for batch in &batches {
            ahead.assigned.remove(&batch.id);
            ahead.claimed.remove(&batch.id);
        }
        Ok(report)
    }

    /// Claims `batches` for `roll`, all at once: for each, true when the claim is this roll's
    /// (made now, or before by this roll's first attempt).
    fn claim(&self, batches: &[BatchRef], roll: &str) -> Result<Vec<bool>, RollError> {
        if batches.is_empty() {
            return Ok(Vec::new());
        }
        let body = serde_json::to_vec(&Claim {
            roll: roll.to_owned(),
        })
        .unwrap_or_default();
        let dest = self.dataset.destination();
        let paths: Vec<PathBuf> = batches.iter().map(|b| claim_path(&b.id)).collect();
        let taken = dest
            .create_new_many(&paths, &body)
            .map_err(|source| RollError::Claim {
                batch: format!("{} batches", batches.len()),
                source,
            })?;
        let mut ours = Vec::with_capacity(batches.len());
        for ((batch, path), taken) in batches.iter().zip(&paths).zip(taken) {
            if taken {
                ours.push(true);
                continue;
            }
            let existing = dest
                .read_small(path, MAX_CLAIM)
                .map_err(|source| RollError::Claim {
                    batch: format!("batch {}", batch.id),
                    source: CreateError::Io {
                        path: dest.name(path),
                        source,
                    },
                })?
                .unwrap_or_default();
            let owner = serde_json::from_slice::<Claim>(&existing).map(|c| c.roll);
            ours.push(owner.is_ok_and(|owner| owner == roll));
        }
        Ok(ours)
    }

    /// Writes `files` (staged batches of `kind`, in order) in `parts` contiguous parts at once,
    /// part `k` as files `rt-<roll>-<k>`: the same batches and parts give the same files.
    fn write_parts(
        &self,
        kind: Kind,
        files: Vec<PathBuf>,
        roll: &str,
        parts: usize,
    ) -> Result<Vec<crate::ConvertReport>, RollError> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let per_part = files.len().div_ceil(parts.clamp(1, MAX_PARTS));
        let chunks: Vec<Vec<PathBuf>> = files.chunks(per_part).map(<[PathBuf]>::to_vec).collect();
        std::thread::scope(|scope| {
            let running: Vec<_> = chunks
                .into_iter()
                .enumerate()
                .map(|(k, chunk)| {
                    scope.spawn(move || self.write(kind, chunk, &format!("rt-{roll}-{k}")))
                })
                .collect();
            running
                .into_iter()
                .map(|handle| {
                    handle.join().unwrap_or_else(|_| {
                        Err(RollError::Staging {
                            path: self.staging.dir().to_owned(),
                            what: "a roll's writer thread panicked",
                            source: io::Error::other("panic"),
                        })
                    })
                })
                .collect()
        })
    }

    fn write(
        &self,
        kind: Kind,
        files: Vec<PathBuf>,
        name: &str,
    ) -> Result<crate::ConvertReport, RollError> {
        let zone = self.zone.as_deref();
        if self.dataset.format() == Format::Parquet {
            let mut bad = 0;
            let mut report = crate::with_record!(kind, T => {
                let batches = files.iter().flat_map(|path| {
                    let parts = match Encoding::of(path) {
                        Some(Encoding::Lines) => typed::read_lines::<T>(path, &mut bad),
                        _ => typed::read::<T>(path),
                    };
                    match parts {
                        Ok(parts) => parts.into_iter().map(Ok).collect::<Vec<_>>(),
                        Err(source) => vec![Err(ConvertError::Io {
                            path: path.clone(),
                            source,
                        })],
                    }
                });
                self.dataset.write_columns::<T>(batches, name, zone)?
            });
            report.bad_lines += bad;
            return Ok(report);
        }
        if let Some(path) = files
            .iter()
            .find(|p| Encoding::of(p) == Some(Encoding::Columns))
        {
            // Columns are what a Parquet receiver stages; text formats are written from records.
            return Err(RollError::Staging {
                path: path.clone(),
                what: "staged as columns for a Parquet dataset; roll it with --format parquet",
                source: io::Error::from(io::ErrorKind::InvalidInput),
            });
        }
        let input = BufReader::with_capacity(256 << 10, Concat::new(files));
        Ok(crate::with_record!(kind, T => self
            .dataset
            .write(Records::<T>::new(input), name, zone)?))
    }
}

/// Where the claim of batch `id` is, relative to the dataset's root.
pub fn claim_path(id: &str) -> PathBuf {
    Path::new(CLAIMS)
        .join(id.get(..2).unwrap_or("00"))
        .join(format!("{id}.json"))
}

/// The claims made ahead for `manifest`'s batches, answered.
fn known_claims(ahead: &Ahead, manifest: &Manifest) -> HashMap<String, bool> {
    manifest
        .batches
        .iter()
        .filter_map(|(_, id)| match ahead.claimed.get(id) {
            Some((roll, ours)) if *roll == manifest.roll => Some((id.clone(), *ours)),
            _ => None,
        })
        .collect()
}

/// A new roll's manifest, of `batches`, in a part per core.
fn new_manifest(batches: Vec<(String, String)>) -> Manifest {
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get());
    Manifest {
        roll: roll_id(),
        batches,
        parts: parts.clamp(1, MAX_PARTS),
        written: false,
    }
}

/// A new roll id: the UTC time and 64 random bits, so ids from any receivers never meet and
/// sort by time.
fn roll_id() -> String {
    let now = OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z-{:016x}",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        fastrand::u64(..)
    )
}

fn staging_error<'a>(
    path: &'a Path,
    what: &'static str,
) -> impl FnOnce(io::Error) -> RollError + 'a {
    move |source| RollError::Staging {
        path: path.to_owned(),
        what,
        source,
    }
}

/// The files one after the other, as one reader.
struct Concat {
    files: VecDeque<PathBuf>,
    current: Option<File>,
}

impl Concat {
    fn new(files: Vec<PathBuf>) -> Concat {
        Concat {
            files: files.into(),
            current: None,
        }
    }
}

impl Read for Concat {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(file) = &mut self.current {
                let n = file.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                self.current = None;
            }
            let Some(path) = self.files.pop_front() else {
                return Ok(0);
            };
            let file = File::open(&path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            self.current = Some(file);
        }
    }
}
