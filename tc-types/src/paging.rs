//! How a list action pages: the accessors the generator implements for each paging request, and
//! the runtime's paginator (`tc_runtime::paginate`) drives.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// How an action's request pages and where its response keeps the items; generated for every
/// action that pages (the runtime's `paginate` module docs tell the rule).
pub trait Paginated: Serialize + Clone + Send + Sync + 'static {
    /// The action's response.
    type Output: DeserializeOwned + Send + 'static;
    /// One element of the response's list member.
    type Item: Serialize + Send + 'static;
    /// The action's name, e.g. `DescribeZones`.
    const ACTION: &'static str;
    /// The largest `Limit` the action accepts, where the spec says.
    const MAX_PAGE_SIZE: Option<u64>;
    /// The request's `Offset` (named apart from the request's own `offset` setter).
    fn page_offset(&self) -> Option<u64>;
    /// Sets the request's `Offset`: the index of the first item of the next page.
    fn set_page_offset(&mut self, value: u64);
    /// The request's `Limit`.
    fn page_limit(&self) -> Option<u64>;
    /// Sets the request's `Limit`: the page size to ask for.
    fn set_page_limit(&mut self, value: u64);
    /// The number of items in the whole list, where the response tells.
    fn total(output: &Self::Output) -> Option<u64>;
    /// The page's items: the response's list member (empty when the response has none).
    fn items(output: &Self::Output) -> &[Self::Item];
    /// The page's items, taken out of the response.
    fn into_items(output: Self::Output) -> Vec<Self::Item>;
}

/// The integer types `Offset`, `Limit` and totals come in.
pub trait PageNumber: Copy {
    /// `None` for a negative number.
    fn to_u64(self) -> Option<u64>;
    /// Saturates at the type's largest value.
    fn from_u64(value: u64) -> Self;
}

impl PageNumber for i64 {
    fn to_u64(self) -> Option<u64> {
        u64::try_from(self).ok()
    }
    fn from_u64(value: u64) -> i64 {
        i64::try_from(value).unwrap_or(i64::MAX)
    }
}

impl PageNumber for u64 {
    fn to_u64(self) -> Option<u64> {
        Some(self)
    }
    fn from_u64(value: u64) -> u64 {
        value
    }
}

/// For generated code: a page number as `u64`.
pub fn to_u64<N: PageNumber>(value: N) -> Option<u64> {
    value.to_u64()
}

/// For generated code: a `u64` as the member's integer type.
pub fn from_u64<N: PageNumber>(value: u64) -> N {
    N::from_u64(value)
}
