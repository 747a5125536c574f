//! Comms templates: `{placeholder}` text parsed once, when the catalog loads, so an
//! unknown placeholder is an error then and never a blank in an update at 2 am.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Placeholders the incident fills in itself (documented in `docs/CATALOG.md`).
pub const BUILT_IN_PLACEHOLDERS: &[&str] = &[
    "incident_id",
    "title",
    "public_title",
    "severity",
    "severity_name",
    "status",
    "declared_at",
    "resolved_at",
    "now",
    "elapsed",
    "commander",
    "scribe",
    "comms_lead",
    "ops_lead",
    "security_lead",
    "playbooks",
    "affected_tenants",
    "affected_regions",
    "affected_services",
    "tenants_now",
    "services_now",
    "next_update_at",
    "time_to_detect",
    "time_to_acknowledge",
    "time_to_mitigate",
    "time_to_resolve",
    "impact_duration",
    "response_deadline",
    "update_cadence",
    "postmortem_due",
    "impact_started_at",
    "detected_at",
    "mitigated_at",
    "impact_ended_at",
    "timeline",
    "decisions",
    "open_items",
    "open_items_summary",
];

/// Who a template speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Public,
    Internal,
    Support,
    Record,
}

/// One piece of a parsed template body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Placeholder(String),
}

/// The TOML shape of a template file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFile {
    pub id: String,
    pub title: String,
    pub audience: Audience,
    #[serde(default)]
    pub channels: Vec<String>,
    pub body: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// A validated template.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "TemplateFile")]
pub struct Template {
    pub id: String,
    pub title: String,
    pub audience: Audience,
    pub channels: Vec<String>,
    /// Fields a person fills in, with the prompt to show them.
    pub fields: BTreeMap<String, String>,
    pub body: String,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "unknown placeholder `{{{name}}}`: declare it under [fields] with a prompt, or use a built-in one (see docs/CATALOG.md)"
    )]
    UnknownPlaceholder { name: String },
    #[error("unclosed `{{` at byte {at}: write `{{{{` for a literal brace")]
    Unclosed { at: usize },
    #[error("stray `}}` at byte {at}: write `}}}}` for a literal brace")]
    Stray { at: usize },
    #[error("placeholder name `{name}` must be lowercase letters, digits and `_`")]
    BadName { name: String },
    #[error("field `{name}` is a built-in placeholder: remove it from [fields]")]
    ShadowsBuiltIn { name: String },
}

impl TryFrom<TemplateFile> for Template {
    type Error = TemplateError;

    fn try_from(file: TemplateFile) -> Result<Self, Self::Error> {
        if let Some(name) = file
            .fields
            .keys()
            .find(|name| BUILT_IN_PLACEHOLDERS.contains(&name.as_str()))
        {
            return Err(TemplateError::ShadowsBuiltIn { name: name.clone() });
        }
        let segments = parse(&file.body)?;
        for segment in &segments {
            if let Segment::Placeholder(name) = segment
                && !BUILT_IN_PLACEHOLDERS.contains(&name.as_str())
                && !file.fields.contains_key(name)
            {
                return Err(TemplateError::UnknownPlaceholder { name: name.clone() });
            }
        }
        Ok(Template {
            id: file.id,
            title: file.title,
            audience: file.audience,
            channels: file.channels,
            fields: file.fields,
            body: file.body,
            segments,
        })
    }
}

/// Splits `body` into text and `{placeholder}` segments; `{{`/`}}` are literal braces.
pub fn parse(body: &str) -> Result<Vec<Segment>, TemplateError> {
    let mut segments = Vec::new();
    let mut text = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|(_, n)| *n) == Some('{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().map(|(_, n)| *n) == Some('}') => {
                chars.next();
                text.push('}');
            }
            '}' => return Err(TemplateError::Stray { at }),
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some((_, '}')) => break,
                        Some((_, ch)) if ch != '{' && ch != '\n' => name.push(ch),
                        _ => return Err(TemplateError::Unclosed { at }),
                    }
                }
                let name = name.trim().to_string();
                let valid = !name.is_empty()
                    && name
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
                if !valid {
                    return Err(TemplateError::BadName { name });
                }
                if !text.is_empty() {
                    segments.push(Segment::Text(std::mem::take(&mut text)));
                }
                segments.push(Segment::Placeholder(name));
            }
            other => text.push(other),
        }
    }
    if !text.is_empty() {
        segments.push(Segment::Text(text));
    }
    Ok(segments)
}

impl Template {
    /// The unfilled `missing` fields, each with its prompt: `symptom (What customers see…)`.
    pub fn describe_fields(&self, missing: &[String]) -> String {
        missing
            .iter()
            .map(|name| match self.fields.get(name) {
                Some(prompt) => format!("{name} ({prompt})"),
                // Built in, not a field: the incident's, set once for every public update.
                None if name == "public_title" => format!(
                    "{name} (the title public updates carry instead of the internal one: \
                     set it with `warroom publish … --public-title TEXT` or when the console asks)"
                ),
                None => name.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Fills every placeholder through `value`; a `None` leaves a visible `⟨name⟩` marker
    /// and lists the name in the returned `missing`.
    pub fn fill(&self, mut value: impl FnMut(&str) -> Option<String>) -> (String, Vec<String>) {
        let mut out = String::with_capacity(self.body.len() + 64);
        let mut missing = Vec::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Placeholder(name) => match value(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('⟨');
                        out.push_str(name);
                        out.push('⟩');
                        if !missing.contains(name) {
                            missing.push(name.clone());
                        }
                    }
                },
            }
        }
        (out, missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(body: &str, fields: &[(&str, &str)]) -> TemplateFile {
        TemplateFile {
            id: "t".into(),
            title: "T".into(),
            audience: Audience::Public,
            channels: vec![],
            body: body.into(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn parses_placeholders_and_literal_braces() {
        let segs = parse("a {title} {{b}} c").unwrap();
        assert_eq!(
            segs,
            vec![
                Segment::Text("a ".into()),
                Segment::Placeholder("title".into()),
                Segment::Text(" {b} c".into()),
            ]
        );
    }

    #[test]
    fn unknown_placeholder_is_a_load_error() {
        let err = Template::try_from(file("{nope}", &[])).unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnknownPlaceholder {
                name: "nope".into()
            }
        );
        assert!(Template::try_from(file("{nope}", &[("nope", "prompt")])).is_ok());
    }

    #[test]
    fn malformed_braces_are_errors() {
        assert_eq!(parse("x {title"), Err(TemplateError::Unclosed { at: 2 }));
        assert_eq!(parse("x } y"), Err(TemplateError::Stray { at: 2 }));
        assert!(matches!(
            parse("{Bad Name}"),
            Err(TemplateError::BadName { .. })
        ));
    }

    #[test]
    fn fill_marks_missing_fields() {
        let t = Template::try_from(file("{title}: {symptom}", &[("symptom", "?")])).unwrap();
        let (text, missing) = t.fill(|n| (n == "title").then(|| "Outage".to_string()));
        assert_eq!(text, "Outage: ⟨symptom⟩");
        assert_eq!(missing, vec!["symptom".to_string()]);
    }
}
