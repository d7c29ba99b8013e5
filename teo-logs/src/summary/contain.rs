//! A reader that panics fails its file only. The Parquet and Arrow readers panic on some
//! corrupt files (`offset + len out of bounds`, found by `tests/it/corrupt_parquet.rs`) instead of
//! returning an error; [`contain`] turns such a panic into an error for that file.
//!
//! The default panic hook would print each of these to stderr in the middle of the output, so a
//! hook is installed once that stays quiet while the current thread is inside [`contain`] and
//! hands every other panic to the hook that was there before (a panic anywhere else still
//! shows as the bug it is). A hook installed later by the program replaces this one; then the
//! contained panics are printed by it, and still fail only their file.

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// The longest panic message kept in an error.
const MAX_MESSAGE: usize = 200;

thread_local! {
    static CONTAINING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `read`; a panic inside is caught and returned as its message. The caller must discard
/// whatever `read` was filling (it may be half done): see `read_parquet`.
pub(crate) fn contain<T>(read: impl FnOnce() -> T) -> Result<T, String> {
    install_quiet_hook();
    let outer = CONTAINING.with(|c| c.replace(true));
    // Unwind safety: the caller drops everything `read` touched when it panicked.
    let result = panic::catch_unwind(AssertUnwindSafe(read));
    CONTAINING.with(|c| c.set(outer));
    result.map_err(|payload| message(payload.as_ref()))
}

fn install_quiet_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            // `try_with`: a panic while the thread's locals are being torn down still shows.
            if CONTAINING.try_with(Cell::get).unwrap_or(false) {
                return;
            }
            previous(info);
        }));
    });
}

/// The panic's message (`panic!` gives a `&str` or a `String`), cut short.
fn message(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    let (cut, truncated) = super::topn::cut(text, MAX_MESSAGE);
    if truncated {
        format!("{cut}…")
    } else {
        cut.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_the_next_call_works() {
        let caught = contain(|| -> u32 { panic!("offset + len out of bounds") });
        assert_eq!(caught, Err("offset + len out of bounds".to_owned()));
        let long = contain(|| -> u32 { panic!("{}", "x".repeat(1000)) }).unwrap_err();
        assert_eq!(long.len(), MAX_MESSAGE + '…'.len_utf8());
        assert_eq!(contain(|| 7), Ok(7));
        // Nested: the outer one still contains after the inner one returned.
        let outer = contain(|| {
            let _ = contain(|| 1);
            panic!("after")
        });
        assert_eq!(outer, Err::<(), _>("after".to_owned()));
        assert!(!CONTAINING.with(Cell::get));
    }
}
