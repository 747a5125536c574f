//! The `pagerduty` action kind: a button that pages an escalation policy through
//! PagerDuty's Events API v2, and the pieces of an Events v2 event the hub's
//! `pagerduty` channel shares with it (severity mapping, the link to the incident).
//! Pure: rendering builds the exact `trigger` event as an HTTP `POST`, so it is
//! previewed, confirmed, stored and sent like any `http` action; the routing key stays
//! `${NAME}` unless the caller (the hub's runner) supplies its value.

use super::{ActionError, ActionSpec, Context, Escape, Piece, Request, SecretLookup, fill, parse};
use crate::incident::Severity;
use serde_json::{Map, Value, json};

/// Where events go unless the action or channel names another `url` (PagerDuty's EU
/// service region, or a local receiver in tests).
pub const EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// PagerDuty refuses a longer `payload.summary`.
pub const SUMMARY_CHARS: usize = 1024;

/// What the link to the incident says.
pub const LINK_TEXT: &str = "Open in warroom";

/// `custom_details` keys the hub fills in itself: no parameter may take them.
const DETAIL_KEYS: [&str; 2] = ["incident", "requested_by"];

/// PagerDuty's four severities, from the incident's: SEV1 pages as `critical`, SEV2 as
/// `error`, SEV3 as `warning`, SEV4 and SEV5 as `info`. An incident without a severity
/// yet pages as `error`: someone thought it worth a page, but nobody said how bad.
pub fn severity(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Sev1) => "critical",
        Some(Severity::Sev2) | None => "error",
        Some(Severity::Sev3) => "warning",
        Some(Severity::Sev4 | Severity::Sev5) => "info",
    }
}

/// Where people open `incident` on this hub: `<public_url>/incidents/<ID>`, the page
/// the hub answers with how to join it (`docs/ACTIONS.md`).
pub fn incident_url(public_url: &str, incident: &str) -> String {
    format!(
        "{}/incidents/{}",
        public_url.trim_end_matches('/'),
        super::escape(incident, Escape::Url)
    )
}

/// An event's `links` when the hub knows the URL people reach it at.
pub fn links(public_url: Option<&str>, incident: &str) -> Option<Value> {
    let href = incident_url(public_url?, incident);
    Some(json!([{"href": href, "text": LINK_TEXT}]))
}

/// The alert an action's pages land on: one per incident and action, so pressing the
/// button again updates that alert and never pages twice, and it is never the alert a
/// `pagerduty` channel keeps for the incident (its `dedup_key` is the incident id).
pub fn dedup_key(incident: &str, action: &str) -> String {
    format!("{incident}/{action}")
}

/// Cut to `max` characters, the last one `…` when anything was cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The kind's own rules, checked when the actions file loads: the `routing_key` is
/// exactly one `${NAME}` (the integration key pages the team: it lives in the hub's
/// environment, never in the file), a `summary` with some text, a `url` without
/// placeholders, none of the `http` and `exec` keys, and no parameter named like a
/// `custom_details` key the hub fills in. Also refuses `routing_key` and `summary` on
/// the other kinds.
pub(super) fn check(spec: &ActionSpec) -> Result<(), ActionError> {
    let invalid = |m: &str| Err(ActionError::Invalid(format!("action `{}`: {m}", spec.id)));
    let own = spec.routing_key.is_some() || spec.summary.is_some();
    if spec.kind != super::ActionKind::PagerDuty {
        return match own {
            true => invalid("routing_key and summary belong to kind = \"pagerduty\""),
            false => Ok(()),
        };
    }
    let foreign = spec.method.is_some()
        || !spec.headers.is_empty()
        || spec.body_format.is_some()
        || spec.body.is_some()
        || spec.argv.is_some()
        || spec.cwd.is_some()
        || !spec.env.is_empty();
    if foreign {
        return invalid(
            "kind = \"pagerduty\" takes routing_key, summary and url: method, headers, body_format, body, argv, cwd and env belong to the other kinds",
        );
    }
    let key = spec.routing_key.as_deref().unwrap_or_default();
    if !matches!(parse(key).as_slice(), [Piece::Secret(_)]) {
        return invalid(
            "kind = \"pagerduty\" needs routing_key = \"${NAME}\", exactly one secret read from the hub's environment: the integration key pages the team",
        );
    }
    if spec.summary.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return invalid("kind = \"pagerduty\" needs a summary: the line the on-call reads first");
    }
    if let Some(url) = &spec.url
        && parse(url)
            .iter()
            .any(|p| matches!(p, Piece::Placeholder(_)))
    {
        return invalid("a pagerduty url takes no {placeholders}, only ${NAME} secrets");
    }
    if let Some(param) = spec
        .params
        .iter()
        .find(|p| DETAIL_KEYS.contains(&p.name.as_str()))
    {
        return invalid(&format!(
            "parameter name `{}` is taken: custom_details names the incident and who requested the page",
            param.name
        ));
    }
    Ok(())
}

/// The `trigger` event, `POST`ed as JSON to `url` (PagerDuty's by default). The body is
/// written out whole, indented, so the confirmation shows every field that is sent. It
/// has no `links`: a console renders the request it confirms on its own machine, which
/// does not know the hub's `public_url`, and what is confirmed is exactly what is sent.
pub(super) fn render(
    spec: &ActionSpec,
    context: &Context,
    secrets: Option<SecretLookup>,
) -> Result<Request, ActionError> {
    let url = match &spec.url {
        Some(template) => fill(template, Escape::Raw, context, secrets)?,
        None => EVENTS_URL.to_string(),
    };
    let key = spec.routing_key.as_deref().unwrap_or_default();
    let routing_key = fill(key, Escape::Raw, context, secrets)?;
    let template = spec.summary.as_deref().unwrap_or_default();
    let summary = fill(template, Escape::Raw, context, None)?;
    if summary.trim().is_empty() {
        return Err(ActionError::Invalid(
            "the summary is empty: PagerDuty needs one".to_string(),
        ));
    }
    let mut details = Map::new();
    details.insert("incident".into(), context.incident_id.into());
    details.insert("requested_by".into(), context.actor.into());
    for (name, value) in context.params {
        details.insert(name.clone(), value.as_str().into());
    }
    let event = json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key(context.incident_id, &spec.id),
        "payload": {
            "summary": clip(&summary, SUMMARY_CHARS),
            "severity": severity(context.severity.parse().ok()),
            "source": "warroom",
            "custom_details": details,
        },
    });
    let body = serde_json::to_string_pretty(&event)
        .map_err(|e| ActionError::Invalid(format!("the event cannot be written: {e}")))?;
    Ok(Request::Http {
        method: "POST".to_string(),
        url,
        headers: vec![("Content-Type".to_string(), "application/json".to_string())],
        body: Some(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn spec(extra: &str) -> Result<ActionSpec, ActionError> {
        let text = format!(
            "id = \"page_oncall\"\ntitle = \"Page the on-call engineer\"\ndescription = \"D\"\n\
             roles = [\"commander\"]\nconfirm = true\ntwo_person = false\nidempotent = true\n\
             timeout_seconds = 5\nkind = \"pagerduty\"\n{extra}"
        );
        let spec: ActionSpec =
            toml::from_str(&text).map_err(|e| ActionError::Invalid(e.to_string()))?;
        spec.check().map(|()| spec)
    }

    const OK: &str = "routing_key = \"${PD_KEY}\"\nsummary = \"{incident_id} ({severity}): {reason}\"\n\
                      [[param]]\nname = \"reason\"\ndescription = \"Why\"\npattern = '^.{3,200}$'\nunicode = true\n";

    #[test]
    fn each_severity_maps_to_one_of_pagerdutys_four() {
        let mapped: Vec<_> = [
            Some(Severity::Sev1),
            Some(Severity::Sev2),
            Some(Severity::Sev3),
            Some(Severity::Sev4),
            Some(Severity::Sev5),
            None,
        ]
        .into_iter()
        .map(severity)
        .collect();
        assert_eq!(
            mapped,
            ["critical", "error", "warning", "info", "info", "error"]
        );
    }

    #[test]
    fn the_trigger_is_previewed_whole_with_the_key_as_its_name() {
        let spec = spec(OK).unwrap();
        let params = BTreeMap::from([(
            "reason".to_string(),
            "Checkout down, \"all\" regions".to_string(),
        )]);
        let context = Context {
            incident_id: "INC-20261130-1",
            actor: "alice",
            severity: "SEV1",
            params: &params,
        };
        let Request::Http {
            method,
            url,
            headers,
            body,
        } = spec.render(&context, None).unwrap()
        else {
            panic!("an http request")
        };
        assert_eq!((method.as_str(), url.as_str()), ("POST", EVENTS_URL));
        assert_eq!(
            headers,
            [("Content-Type".to_string(), "application/json".to_string())]
        );
        let sent: Value = serde_json::from_str(&body.unwrap()).unwrap();
        let expected = json!({
            "routing_key": "${PD_KEY}",
            "event_action": "trigger",
            "dedup_key": "INC-20261130-1/page_oncall",
            "payload": {
                "summary": "INC-20261130-1 (SEV1): Checkout down, \"all\" regions",
                "severity": "critical",
                "source": "warroom",
                "custom_details": {
                    "incident": "INC-20261130-1",
                    "requested_by": "alice",
                    "reason": "Checkout down, \"all\" regions",
                },
            },
        });
        assert_eq!(sent, expected);

        let lookup = |name: &str| (name == "PD_KEY").then(|| "R0UTINGKEY".to_string());
        let Request::Http { body, .. } = spec.render(&context, Some(&lookup)).unwrap() else {
            panic!("an http request")
        };
        let sent: Value = serde_json::from_str(&body.unwrap()).unwrap();
        assert_eq!(sent["routing_key"], "R0UTINGKEY");
    }

    #[test]
    fn the_kind_refuses_a_written_key_and_foreign_keys() {
        let cases = [
            ("summary = \"s\"\n", "needs routing_key"),
            (
                "routing_key = \"R0123456789abcdef\"\nsummary = \"s\"\n",
                "exactly one secret",
            ),
            (
                "routing_key = \"x${K}\"\nsummary = \"s\"\n",
                "exactly one secret",
            ),
            ("routing_key = \"${K}\"\n", "needs a summary"),
            (
                "routing_key = \"${K}\"\nsummary = \"  \"\n",
                "needs a summary",
            ),
            (
                "routing_key = \"${K}\"\nsummary = \"s ${K}\"\n",
                "only allowed in url",
            ),
            (
                "routing_key = \"${K}\"\nsummary = \"s\"\nmethod = \"POST\"\n",
                "belong to the other kinds",
            ),
            (
                "routing_key = \"${K}\"\nsummary = \"s\"\nurl = \"https://pd.example/{incident_id}\"\n",
                "no {placeholders}",
            ),
            (
                "routing_key = \"${K}\"\nsummary = \"s\"\nurl = \"http://pd.example/v2\"\n",
                "https://",
            ),
            (
                "routing_key = \"${K}\"\nsummary = \"{requested_by}\"\n[[param]]\nname = \"requested_by\"\ndescription = \"d\"\npattern = '^a$'\n",
                "is taken",
            ),
        ];
        for (extra, says) in cases {
            let err = spec(extra).unwrap_err().to_string();
            assert!(err.contains(says), "{extra}: {err}");
            assert!(!err.contains("R0123456789abcdef"), "{err}");
        }
        let http = "id = \"a\"\ntitle = \"A\"\ndescription = \"D\"\nroles = [\"ops\"]\nconfirm = true\n\
                    two_person = false\nidempotent = true\ntimeout_seconds = 1\nkind = \"http\"\n\
                    url = \"https://x/\"\nsummary = \"s\"\n";
        let http: ActionSpec = toml::from_str(http).unwrap();
        let err = http.check().unwrap_err().to_string();
        assert!(err.contains("belong to kind = \"pagerduty\""), "{err}");
    }
}
