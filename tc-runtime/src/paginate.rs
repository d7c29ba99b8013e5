//! Paging through list actions (`Offset` + `Limit` in, a list and usually `TotalCount` out) as
//! streams of pages or of items.
//!
//! # Example
//!
//! With the EdgeOne client (`teo_client`):
//!
//! ```ignore
//! # async fn run(client: teo_client::Client) -> Result<(), teo_client::Error> {
//! use teo_client::models::DescribeZonesRequest;
//! use teo_client::paginate::TryStreamExt;
//!
//! let mut zones = client
//!     .describe_zones_paginator(DescribeZonesRequest::new())
//!     .items();
//! while let Some(zone) = zones.try_next().await? {
//!     println!("{} {}", zone.zone_id, zone.zone_name);
//! }
//! # Ok(()) }
//! ```
//!
//! The stream traits are re-exported here ([`StreamExt`], [`TryStreamExt`]), so using the
//! streams needs no other dependency; [`Paginator::collect_items`] gathers everything.
//!
//! Which actions page, their item lists, totals and largest pages are generated from the spec
//! (and its `paging.json` overrides) as implementations of [`Paginated`].
//!
//! # When the stream ends
//!
//! The stream ends at the first of: the offset reaching the total (the latest one the server
//! reported, so a list that shrinks mid-way ends early and one that grows is followed); an empty
//! page where no total promises more. A short page does not end it: a server may cap pages below
//! the `Limit` asked for, and stopping there would drop the rest of the list without a word.
//!
//! # Errors
//!
//! It never ends early in silence. It guards against servers that misbehave:
//! - an empty page (no items, or no list member at all) while the offset is below the total ends
//!   the stream with an error of kind [`ErrorKind::Paging`](crate::ErrorKind::Paging) naming
//!   the action and offset: the listing is incomplete;
//! - a page whose items repeat an earlier page's (an ignored `Offset`) is fetched again a few
//!   times and then ends the stream with an error of kind `Paging`, so no item is yielded twice
//!   and the stream cannot loop forever; the offset only ever moves forward.
//!
//! A total of 0 counts as no total (generated responses read a missing member as 0).

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hasher};
use std::time::Duration;

use futures_util::stream;
pub use futures_util::stream::{BoxStream, Stream, StreamExt, TryStreamExt};
use serde::Serialize;

use crate::error::Repr;
use crate::{Client, Error};

pub use tc_types::paging::{from_u64, to_u64, PageNumber, Paginated};

/// How often a page that repeats an earlier one is fetched again before the stream gives up.
const REPEAT_REFETCHES: u32 = 2;
const REPEAT_DELAY: Duration = Duration::from_millis(200);

/// Pages through one list action; made by `client.<action>_paginator(request)` or
/// [`Client::paginate`].
#[derive(Debug, Clone)]
pub struct Paginator<R> {
    client: Client,
    request: R,
    page_size: Option<u64>,
}

impl Client {
    /// Pages through the action of `request`, starting at its `Offset` (0 when unset).
    pub fn paginate<R: Paginated>(&self, request: R) -> Paginator<R> {
        Paginator {
            client: self.clone(),
            request,
            page_size: None,
        }
    }
}

impl<R: Paginated> Paginator<R> {
    /// Items asked for per page (at least 1). Without it: the request's `Limit` if set, else
    /// the largest page the action allows ([`Paginated::MAX_PAGE_SIZE`]), else the server's
    /// default.
    pub fn page_size(mut self, size: u64) -> Self {
        self.page_size = Some(size.max(1));
        self
    }

    /// The responses, one per page. The first page is yielded even when empty; later empty
    /// pages only end the stream.
    /// The stream is boxed (so `Unpin`: `next().await` needs no pinning).
    pub fn pages(self) -> BoxStream<'static, Result<R::Output, Error>> {
        let limit = self
            .page_size
            .or_else(|| self.request.page_limit())
            .or(R::MAX_PAGE_SIZE);
        let state = State {
            offset: self.request.page_offset().unwrap_or(0),
            client: self.client,
            request: self.request,
            limit,
            total: None,
            seen: HashSet::new(),
            first: true,
            done: false,
        };
        stream::unfold(state, |mut state| async move {
            let page = state.next_page().await?;
            Some((page, state))
        })
        .boxed()
    }

    /// The items of every page, in order.
    pub fn items(self) -> BoxStream<'static, Result<R::Item, Error>> {
        self.pages()
            .map_ok(|page| stream::iter(R::into_items(page).into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Every item, or the first error.
    pub async fn collect_items(self) -> Result<Vec<R::Item>, Error> {
        self.items().try_collect().await
    }
}

struct State<R> {
    client: Client,
    request: R,
    /// Where the next page starts.
    offset: u64,
    limit: Option<u64>,
    /// The latest usable total the server reported.
    total: Option<u64>,
    /// Fingerprints of the pages yielded so far.
    seen: HashSet<u64>,
    first: bool,
    done: bool,
}

impl<R: Paginated> State<R> {
    async fn next_page(&mut self) -> Option<Result<R::Output, Error>> {
        let mut refetches = 0;
        loop {
            if self.done {
                return None;
            }
            self.request.set_page_offset(self.offset);
            if let Some(limit) = self.limit {
                self.request.set_page_limit(limit);
            }
            let output = match self.client.send(R::ACTION, &self.request).await {
                Ok(output) => output,
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            };
            let items = R::items(&output);
            let count = items.len() as u64;
            if count > 0 && !self.seen.insert(fingerprint(items)) {
                if refetches < REPEAT_REFETCHES {
                    refetches += 1;
                    tracing::warn!(
                        action = R::ACTION,
                        offset = self.offset,
                        "the page repeats an earlier page; fetching it again"
                    );
                    tokio::time::sleep(REPEAT_DELAY * refetches).await;
                    continue;
                }
                self.done = true;
                return Some(Err(Error::from(Repr::Paging {
                    action: R::ACTION.to_owned(),
                    offset: self.offset,
                    reason: format!(
                        "the page repeats an earlier page {} times: the server ignores Offset",
                        REPEAT_REFETCHES + 1
                    ),
                })));
            }
            // A total of 0 is a member the server left out (read as 0), or a list that is empty
            // now: either way it promises nothing, so the latest non-zero total stands.
            let total = R::total(&output).filter(|&total| total != 0);
            if count == 0 {
                // This page's own total, if any, says whether the list shrank below the offset;
                // else the latest one. Below it, an empty page is a hole in the listing.
                if let Some(total) = total.or(self.total).filter(|&t| self.offset < t) {
                    self.done = true;
                    return Some(Err(Error::from(Repr::Paging {
                        action: R::ACTION.to_owned(),
                        offset: self.offset,
                        reason: format!(
                            "the page is empty (no items or no list) but the total is {total}: \
                             the listing would be incomplete"
                        ),
                    })));
                }
            }
            self.offset = self.offset.saturating_add(count);
            if let (Some(before), Some(now)) = (self.total, total) {
                if before != now {
                    tracing::warn!(
                        action = R::ACTION,
                        before,
                        now,
                        "the total changed while paging"
                    );
                }
            }
            self.total = total.or(self.total);
            // Without a total only an empty page ends the list: a short one may be the server's
            // own page cap, with more to come.
            self.done = count == 0 || self.total.is_some_and(|total| self.offset >= total);
            if count == 0 && !self.first {
                return None;
            }
            self.first = false;
            return Some(Ok(output));
        }
    }
}

/// A hash of a page's items, to recognise a page served again.
fn fingerprint<T: Serialize>(items: &[T]) -> u64 {
    struct HashWriter(DefaultHasher);
    impl std::io::Write for HashWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut writer = HashWriter(DefaultHasher::new());
    // The models serialise infallibly; were one to fail, the page still gets its own hash.
    if serde_json::to_writer(&mut writer, items).is_err() {
        writer.0.write_usize(items.len());
    }
    writer.0.finish()
}
