//! `--all-pages`: an Offset/Limit action called page after page, the pages' lists merged into
//! one response. Which members page is the spec's fact (`tc_spec::paging`), as for the SDK's
//! paginators.

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tc_spec::paging::Paging;

use crate::failure::Failure;
use crate::output::Json;

/// At most this many pages: a server that never stops paging cannot keep teo running.
pub(crate) const MAX_PAGES: usize = 10_000;

/// Calls `send` from the request's Offset (0 if absent) with the request's Limit (else the
/// action's largest page, else 100) until the total is reached or a page is empty — not on a
/// short page, which a server capping its pages below the Limit sends (as the SDK's
/// paginators). The first page's response with the items of every page, and the last page's
/// RequestId. A page served again (an ignored Offset) is an error, not a loop.
pub(crate) fn all_pages(
    action: &str,
    paging: &Paging,
    request: &Map<String, Value>,
    send: &dyn Fn(&RawValue) -> Result<Json, Failure>,
) -> Result<Json, Failure> {
    let offset_name = paging.offset.wire_name.as_str();
    let limit_name = paging.limit.wire_name.as_str();
    let items_name = paging.items.wire_name.as_str();
    let mut offset = request
        .get(offset_name)
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let limit = request
        .get(limit_name)
        .and_then(Value::as_u64)
        .or(paging.max_page_size)
        .unwrap_or(100)
        .max(1);
    let mut merged: Option<Json> = None;
    let mut items = Vec::new();
    let mut previous: Option<Vec<Json>> = None;
    for _ in 0..MAX_PAGES {
        let mut page_request = request.clone();
        page_request.insert(offset_name.to_owned(), Value::from(offset));
        page_request.insert(limit_name.to_owned(), Value::from(limit));
        let body = RawValue::from_string(Value::Object(page_request).to_string())
            .map_err(|e| Failure::failed(format!("internal error: {action}: {e}")))?;
        let page = send(&body)?;
        let got = match member(&page, items_name) {
            Some(Json::Array(list)) => list.clone(),
            // Absent or null: an empty page (the API drops empty lists).
            Some(Json::Null) | None => Vec::new(),
            Some(_) => {
                return Err(Failure::failed(format!(
                    "{action}: the page's {items_name} is not a list"
                )))
            }
        };
        let total = paging
            .total
            .as_ref()
            .and_then(|t| match member(&page, &t.wire_name) {
                Some(Json::Number(n)) => n.as_u64(),
                _ => None,
            });
        let count = got.len() as u64;
        if count > 0 && previous.as_ref() == Some(&got) {
            return Err(Failure::failed(format!(
                "{action}: the server sent the same page again at Offset {offset}; stopped"
            )));
        }
        previous = Some(got.clone());
        items.extend(got);
        merged = Some(match merged {
            None => page,
            Some(first) => with_request_id(first, &page),
        });
        offset += count;
        let done = count == 0 || total.is_some_and(|t| offset >= t);
        if done {
            let mut response = merged.unwrap_or(Json::Null);
            set_member(&mut response, items_name, Json::Array(items));
            return Ok(response);
        }
    }
    Err(Failure::failed(format!(
        "{action}: still paging after {MAX_PAGES} pages; narrow the request"
    )))
}

fn member<'a>(value: &'a Json, name: &str) -> Option<&'a Json> {
    match value {
        Json::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
        _ => None,
    }
}

fn set_member(value: &mut Json, name: &str, new: Json) {
    if let Json::Object(members) = value {
        match members.iter_mut().find(|(k, _)| k == name) {
            Some((_, slot)) => *slot = new,
            None => members.push((name.to_owned(), new)),
        }
    }
}

/// `first` with the RequestId of `last` (the merged response names the last call made).
fn with_request_id(mut first: Json, last: &Json) -> Json {
    if let Some(id) = member(last, "RequestId").cloned() {
        set_member(&mut first, "RequestId", id);
    }
    first
}
