//! JMESPath for `--filter` and `--waiter`, bounded. The `jmespath` crate parses and evaluates by
//! recursion, one stack frame (or several) per nesting level and per chained operator, so a
//! hostile or mistaken expression — 2,000 nested parentheses, 1,000 `.a` segments — would
//! overflow the stack and abort the process. Every expression is therefore measured before it is
//! compiled, and compiled and evaluated on a thread whose stack size is ours, not the shell's
//! `ulimit -s`.

use std::fmt;

/// At most this many nested `(`, `[` and `{` (far beyond any real filter).
pub(crate) const MAX_NESTING: usize = 64;
/// At most this many operators: `.` `[` `(` `{` `|` `&` `!` `<` `>` `=` (a `.a` segment is one,
/// `||` two). Measured in a debug build, every chain of this length evaluates in under half of
/// [`STACK_SIZE`].
pub(crate) const MAX_OPERATORS: usize = 256;
/// The stack of the thread that compiles and evaluates.
const STACK_SIZE: usize = 16 << 20;

/// Why an expression is refused before it is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TooComplex {
    /// `(`, `[` or `{` nested deeper than [`MAX_NESTING`], at this character offset.
    Nesting { at: usize },
    /// More than [`MAX_OPERATORS`] operators, the first one over the limit at this offset.
    Operators { at: usize },
}

impl fmt::Display for TooComplex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TooComplex::Nesting { at } => write!(
                f,
                "nested deeper than {MAX_NESTING} levels of (), [] or {{}} (at character {at})"
            ),
            TooComplex::Operators { at } => write!(
                f,
                "more than {MAX_OPERATORS} operators such as . [ | && (at character {at})"
            ),
        }
    }
}

/// Checks the size of `expression`, outside its string and JSON literals (`'…'`, `"…"`,
/// `` `…` ``, whose contents the parser does not recurse on; a literal's JSON is parsed by
/// serde_json, which stops at 128 levels by itself).
pub(crate) fn measure(expression: &str) -> Result<(), TooComplex> {
    let mut depth = 0usize;
    let mut operators = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (at, c) in expression.chars().enumerate() {
        if let Some(closing) = quote {
            // As the lexer reads a literal: a backslash takes the next character with it.
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == closing {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(TooComplex::Nesting { at });
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if matches!(c, '.' | '[' | '(' | '{' | '|' | '&' | '!' | '<' | '>' | '=') {
            operators += 1;
            if operators > MAX_OPERATORS {
                return Err(TooComplex::Operators { at });
            }
        }
    }
    Ok(())
}

/// Whether `expression` is a JMESPath expression teo will evaluate: within the bounds, and
/// compiling.
pub(crate) fn check(expression: &str) -> Result<(), String> {
    on_big_stack(expression, |compiled| {
        drop(compiled);
        Ok(serde_json::Value::Null)
    })
    .map(drop)
}

/// What `expression` selects from `data`.
pub(crate) fn search(
    expression: &str,
    data: serde_json::Value,
) -> Result<serde_json::Value, String> {
    on_big_stack(expression, move |compiled| {
        let found = compiled.search(data).map_err(|e| e.to_string())?;
        serde_json::to_value(&*found).map_err(|e| e.to_string())
    })
}

/// Measures and compiles `expression`, then runs `then` with it, all on a thread of
/// [`STACK_SIZE`] (the compiled expression is reference-counted, so it cannot leave that thread;
/// it is dropped there too, and dropping is recursive as well).
fn on_big_stack<F>(expression: &str, then: F) -> Result<serde_json::Value, String>
where
    F: FnOnce(jmespath::Expression<'static>) -> Result<serde_json::Value, String> + Send,
{
    measure(expression).map_err(|e| e.to_string())?;
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("jmespath".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || {
                let compiled = jmespath::compile(expression).map_err(|e| e.to_string())?;
                then(compiled)
            })
            .map_err(|e| format!("cannot start a thread to evaluate the expression: {e}"))?;
        worker
            .join()
            .unwrap_or_else(|_| Err("the expression could not be evaluated".to_owned()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_filters_are_within_bounds() {
        for expression in [
            "Zones[0].ZoneId",
            "Zones[?ZoneName=='example.com'].{id: ZoneId, name: ZoneName}",
            "Tasks[*].[JobId, Status] | [0]",
            "length(Zones[?Status != 'active' && !Paused]) > `0`",
        ] {
            assert_eq!(measure(expression), Ok(()), "{expression}");
        }
    }

    #[test]
    fn nesting_and_chains_are_counted_up_to_their_limits() {
        let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(measure(&nested(MAX_NESTING)), Ok(()));
        assert_eq!(
            measure(&nested(MAX_NESTING + 1)),
            Err(TooComplex::Nesting { at: MAX_NESTING })
        );
        let mixed = format!("{}a{}", "[{(".repeat(22), ")}]".repeat(22));
        assert_eq!(measure(&mixed), Err(TooComplex::Nesting { at: 64 }));
        let chain = |n: usize| format!("a{}", ".a".repeat(n));
        assert_eq!(measure(&chain(MAX_OPERATORS)), Ok(()));
        assert_eq!(
            measure(&chain(MAX_OPERATORS + 1)),
            Err(TooComplex::Operators {
                at: 2 * MAX_OPERATORS + 1
            })
        );
        // `||` is two operators; 200 of them are over the limit without any nesting.
        let ors = vec!["a"; 200].join(" || ");
        assert!(matches!(measure(&ors), Err(TooComplex::Operators { .. })));
        // Closing brackets are not counted twice: `a[0]` is one operator.
        assert_eq!(
            measure(&format!("a{}", "[0]".repeat(MAX_OPERATORS))),
            Ok(())
        );
    }

    #[test]
    fn literals_are_not_counted() {
        let brackets = "(".repeat(500);
        for expression in [
            format!("'{brackets}'"),
            format!("\"{brackets}\""),
            format!("`\"{brackets}\"`"),
            format!("'it\\'s {brackets}'"),
        ] {
            assert_eq!(measure(&expression), Ok(()), "{expression}");
        }
        // An escaped quote does not end the literal early.
        let after = format!("'\\'{}'", "(".repeat(100));
        assert_eq!(measure(&after), Ok(()));
    }

    #[test]
    fn errors_name_the_limit() {
        let error = check(&"(".repeat(2000)).unwrap_err();
        assert_eq!(
            error,
            "nested deeper than 64 levels of (), [] or {} (at character 64)"
        );
        let error = check(&format!("a{}", ".a".repeat(1000))).unwrap_err();
        assert!(error.starts_with("more than 256 operators"), "{error}");
        assert!(check("Zones[0").is_err());
    }

    /// The deepest expressions allowed compile and evaluate on the worker's stack — even from a
    /// test thread, whose own stack is 2 MiB.
    #[test]
    fn the_largest_allowed_expressions_evaluate() {
        let data = serde_json::json!({"a": {"a": [[1]]}});
        let flatten = format!("a.a{}", "[]".repeat(MAX_OPERATORS - 1));
        assert_eq!(search(&flatten, data.clone()), Ok(serde_json::json!([1])));
        let nots = format!("{}a", "!".repeat(MAX_OPERATORS));
        assert_eq!(search(&nots, data.clone()), Ok(serde_json::json!(true)));
        let nested = format!("{}a.a{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert_eq!(search(&nested, data.clone()), Ok(serde_json::json!([[1]])));
        let hashes = format!(
            "{}`1`{}",
            "{a:".repeat(MAX_NESTING),
            "}".repeat(MAX_NESTING)
        );
        assert!(search(&hashes, data.clone()).is_ok());
        let pipes = vec!["@"; MAX_OPERATORS + 1].join("|");
        assert_eq!(search(&pipes, data.clone()), Ok(data));
    }
}
