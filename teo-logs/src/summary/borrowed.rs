//! JSON lines read straight into the fields a summary needs: each line is parsed once into
//! borrowed raw members, only the members the record type knows are looked at, and text is
//! borrowed from the line (allocated only when it has escapes). No `serde_json::Value`, no
//! record, no per-record `String`.
//!
//! The member rules are the typed records' own (`crate::records`, one module for both), and
//! every known member is checked at parsing, so a line is bad here exactly when the typed
//! reader finds it bad.

use std::borrow::Cow;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::columns::{epoch_millis, Table};
use crate::members::{self, Check, Layout, RawLine, Time};

/// The known members of a record type: name → slot, and each slot's rules.
pub(crate) struct Schema {
    layout: Layout,
}

impl Schema {
    pub(crate) fn of<T: Table>() -> Schema {
        Schema {
            layout: Layout {
                fields: T::fields(),
                index: T::field_index,
            },
        }
    }

    /// The slot of `name`, which must be one of the type's columns.
    pub(crate) fn slot(&self, name: &str) -> usize {
        // Callers name columns of the type; a typo is a bug caught by the parity tests.
        (self.layout.index)(name).unwrap_or(usize::MAX)
    }
}

/// A line's members, checked and read.
pub(crate) struct Line<'a> {
    raw: RawLine<'a>,
}

impl<'a> Line<'a> {
    /// Text of the member in `slot`: `None` when absent.
    pub(crate) fn text(&self, slot: usize) -> Result<Option<Cow<'a, str>>, String> {
        match self.raw.member(slot) {
            None => Ok(None),
            Some((raw, field)) => members::text_member(Some(raw), field),
        }
    }

    pub(crate) fn int(&self, slot: usize) -> Result<Option<i64>, String> {
        match self.raw.member(slot) {
            None => Ok(None),
            Some((raw, field)) => members::int(Some(raw), field),
        }
    }

    /// The instant (epoch ms) of a date-time member; text that is no RFC 3339 instant is kept
    /// by the typed reader but has none.
    pub(crate) fn time(&self, slot: usize) -> Result<Option<i64>, String> {
        let Some((raw, field)) = self.raw.member(slot) else {
            return Ok(None);
        };
        Ok(match members::time(Some(raw), field)? {
            None => None,
            Some(Time::Text(text)) => OffsetDateTime::parse(&text, &Rfc3339)
                .ok()
                .and_then(epoch_millis),
            Some(Time::Seconds(t)) => t.instant().and_then(epoch_millis),
        })
    }
}

/// Parses one line (trimmed, not empty) and checks every member the type knows, as the typed
/// reader does.
pub(crate) fn parse<'a>(schema: &Schema, text: &'a [u8]) -> Result<Line<'a>, String> {
    Ok(Line {
        raw: members::parse(schema.layout, text, Check::AtParse)?,
    })
}
