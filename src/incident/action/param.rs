//! What a parameter value may be before it is substituted anywhere: no control or
//! invisible characters, no surrounding whitespace, a whole-value match of its pattern
//! (compiled ASCII-only unless the parameter opts into Unicode), and — in an `http`
//! URL's path — never a `.` or `..` segment, which clients and servers resolve by
//! moving the request elsewhere than the preview shows.

use super::{ActionError, ParamSpec};

/// Invisible characters that change how text reads without being seen: zero-width
/// spaces and joiners, bidirectional overrides and isolates, the word joiner and
/// invisible operators, the byte order mark, the soft hyphen. A preview a person
/// confirms must show every character that is sent.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Characters no parameter value may contain anywhere: every control character (C0,
/// DEL and C1, so `\r \n \t \v \f` and U+0085), the Unicode line and paragraph
/// separators, and invisible formatting characters.
fn is_forbidden_anywhere(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_invisible(c)
}

/// Refuses a value with a control or invisible character anywhere, or Unicode
/// whitespace at either end — whatever its pattern says (a pattern like `[^/]+`
/// would otherwise let `"acme\n"` through to argv).
pub(super) fn check_characters(param: &ParamSpec, value: &str) -> Result<(), ActionError> {
    let problem = if let Some(c) = value.chars().find(|c| is_forbidden_anywhere(*c)) {
        format!(
            "contains the control or invisible character U+{:04X}",
            u32::from(c)
        )
    } else if value.starts_with(char::is_whitespace) {
        "starts with whitespace".to_string()
    } else if value.ends_with(char::is_whitespace) {
        "ends with whitespace".to_string()
    } else {
        return Ok(());
    };
    Err(ActionError::BadValue {
        name: param.name.clone(),
        description: param.description.clone(),
        problem,
    })
}

/// The parameter's pattern, anchored to the whole value. ASCII-only unless
/// `unicode = true`: `\d` is `[0-9]`, `\w` is `[0-9A-Za-z_]`, `\s` is ASCII
/// whitespace and `(?i)` folds ASCII letters only, so `\d` never accepts `٥`. Matched
/// against the value's UTF-8 bytes, so an ASCII pattern may still contain a negated
/// class such as `[^/]`.
pub(super) fn compile(param: &ParamSpec) -> Result<regex::bytes::Regex, ActionError> {
    regex::bytes::RegexBuilder::new(&format!("^(?:{})$", param.pattern))
        .unicode(param.unicode)
        .build()
        .map_err(|e| {
            let hint = if param.unicode {
                ""
            } else {
                " (patterns are ASCII-only; set unicode = true on the parameter for Unicode classes)"
            };
            ActionError::BadPattern {
                name: param.name.clone(),
                error: format!("{e}{hint}"),
            }
        })
}

/// The path of a URL as written: after `scheme://authority`, before `?` or `#`.
/// `\` counts as `/`, as HTTP clients treat it for http(s) URLs.
pub fn url_path(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(url, |i| &url[i + 3..]);
    let authority_end = after_scheme
        .find(['/', '\\', '?', '#'])
        .unwrap_or(after_scheme.len());
    let rest = &after_scheme[authority_end..];
    &rest[..rest.find(['?', '#']).unwrap_or(rest.len())]
}

/// `text` with `%XX` escapes decoded, repeatedly (up to a few rounds), so `%2e`,
/// `%2E` and `%252e` all read as `.` — a server that decodes twice sees that too.
fn decoded(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..4 {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| char::from(b).to_digit(16);
            match (bytes.get(i), bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(b'%'), Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                    // Two hex digits make one byte: 16 * 15 + 15 fits in u8.
                    let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                    out.push(u8::try_from(value).unwrap_or(b'%'));
                    i += 3;
                }
                (Some(&b), _, _) => {
                    out.push(b);
                    i += 1;
                }
                _ => break,
            }
        }
        if out == bytes {
            break;
        }
        bytes = out;
    }
    bytes
}

/// True for `.` and `..`, also percent-encoded (`%2e`, `.%2E`, `%252e%252e`, …).
pub fn is_dot_segment(segment: &str) -> bool {
    matches!(decoded(segment).as_slice(), b"." | b"..")
}

/// Refuses a rendered URL whose path has a `.` or `..` segment: the HTTP client (and
/// any server) would resolve it, so `/clamp/../budget` would be sent as `/budget` —
/// not what was previewed and confirmed. Names the parameter when one caused it; never
/// repeats the URL (it may hold a secret).
pub(super) fn check_url_path(
    url: &str,
    url_template: &str,
    params: &[ParamSpec],
    values: &std::collections::BTreeMap<String, String>,
) -> Result<(), ActionError> {
    if !url_path(url).split(['/', '\\']).any(is_dot_segment) {
        return Ok(());
    }
    let culprit = params.iter().find(|p| {
        url_template.contains(&format!("{{{}}}", p.name))
            && values.get(&p.name).is_some_and(|v| is_dot_segment(v))
    });
    Err(match culprit {
        Some(param) => ActionError::BadValue {
            name: param.name.clone(),
            description: param.description.clone(),
            problem: "`.` and `..` are not allowed in a URL path: the request would go to another path than the one shown".to_string(),
        },
        None => ActionError::Invalid(
            "the URL path would have a `.` or `..` segment, which moves the request to another path than the one shown".to_string(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(pattern: &str, unicode: bool) -> ParamSpec {
        ParamSpec {
            name: "p".into(),
            description: "P".into(),
            pattern: pattern.into(),
            unicode,
        }
    }

    #[test]
    fn control_invisible_and_surrounding_whitespace_are_refused() {
        let p = param(".*", false);
        for bad in [
            "acme\r",
            "acme\n",
            "\tacme",
            "acme\u{0B}",
            "\u{0C}acme",
            "acme\u{85}",
            "\u{85}acme",
            "a\u{0}b",
            "a\nb",
            "a\u{2028}b",
            "a\u{202E}b",
            "\u{200B}acme",
            "acme\u{FEFF}",
            " acme",
            "acme ",
            "\u{A0}acme",
            "acme\u{3000}",
        ] {
            assert!(
                matches!(check_characters(&p, bad), Err(ActionError::BadValue { .. })),
                "{bad:?}"
            );
        }
        for ok in ["acme", "acme eu", "zürich", "12.50"] {
            assert_eq!(check_characters(&p, ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn patterns_are_ascii_unless_the_parameter_opts_in() {
        let digits = compile(&param(r"\d+", false)).unwrap();
        assert!(digits.is_match(b"50"));
        assert!(!digits.is_match("٥٠".as_bytes()), "Arabic-Indic digits");
        assert!(
            !compile(&param(r"\w+", false))
                .unwrap()
                .is_match("é".as_bytes())
        );
        let unicode = compile(&param(r"\d+", true)).unwrap();
        assert!(unicode.is_match("٥٠".as_bytes()));
        // Negated classes and literal non-ASCII still compile in ASCII mode.
        assert!(compile(&param("[^/]+", false)).unwrap().is_match(b"a.b"));
        assert!(
            compile(&param("zürich|bern", false))
                .unwrap()
                .is_match("zürich".as_bytes())
        );
        // Anchored to the whole value.
        assert!(!digits.is_match(b"50x"));
        let error = compile(&param(r"\p{Greek}", false)).unwrap_err();
        assert!(error.to_string().contains("unicode = true"), "{error}");
    }

    #[test]
    fn dot_segments_are_found_in_any_spelling() {
        for dot in [".", "..", "%2e", "%2E%2e", ".%2E", "%252e", "%252E%252e"] {
            assert!(is_dot_segment(dot), "{dot}");
        }
        for not in ["...", "a..", ".a", "%2f", "", "%2", "%"] {
            assert!(!is_dot_segment(not), "{not}");
        }
        assert_eq!(url_path("https://h.example/a/b?x=/..#f"), "/a/b");
        assert_eq!(url_path("https://h.example?x=1"), "");
        assert_eq!(url_path("http://127.0.0.1:9\\a/b"), "\\a/b");
    }
}
