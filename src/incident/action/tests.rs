//! Tests of action specs: the shipped examples, placeholder parsing, escaping,
//! parameter validation, previews and load-time checks.

use super::*;

fn example() -> Vec<ActionSpec> {
    #[derive(Deserialize)]
    struct File {
        action: Vec<ActionSpec>,
    }
    let file: File = toml::from_str(include_str!("../../../assets/actions.example.toml")).unwrap();
    file.action
}

#[test]
fn every_shipped_example_action_is_valid() {
    let actions = example();
    assert_eq!(actions.len(), 17);
    for action in &actions {
        action.check().unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn placeholders_secrets_and_json_braces_parse() {
    let pieces = parse(r#"{"a": "{tenant}", "k": "${TOKEN}"} {{x}}"#);
    assert!(pieces.contains(&Piece::Placeholder("tenant".into())));
    assert!(pieces.contains(&Piece::Secret("TOKEN".into())));
    assert_eq!(pieces.first(), Some(&Piece::Text("{\"a\": \"".into())));
    assert_eq!(pieces.last(), Some(&Piece::Text("\"} {x}".into())));
}

#[test]
fn values_are_escaped_where_they_land() {
    assert_eq!(escape("a b/c", Escape::Url), "a%20b%2Fc");
    assert_eq!(escape("a b&c", Escape::Form), "a+b%26c");
    assert_eq!(escape("say \"hi\"\n", Escape::Json), "say \\\"hi\\\"\\n");
    assert_eq!(escape("; rm -rf /", Escape::Raw), "; rm -rf /");
}

#[test]
fn parameters_must_match_their_whole_pattern() {
    let action = example()
        .into_iter()
        .find(|a| a.id == "isolate_tenant")
        .unwrap();
    let ok = BTreeMap::from([("tenant".to_string(), "acme-eu".to_string())]);
    action.validate(&ok).unwrap();
    for bad in ["; rm -rf /", "acme/../globex", "tenant/*", "ACME"] {
        let params = BTreeMap::from([("tenant".to_string(), bad.to_string())]);
        assert!(
            matches!(action.validate(&params), Err(ActionError::BadParam { .. })),
            "{bad}"
        );
    }
    for bad in [" acme", "acme\n", "acme\u{85}"] {
        let params = BTreeMap::from([("tenant".to_string(), bad.to_string())]);
        assert!(
            matches!(action.validate(&params), Err(ActionError::BadValue { .. })),
            "{bad:?}"
        );
    }
    assert!(matches!(
        action.validate(&BTreeMap::new()),
        Err(ActionError::MissingParam(_))
    ));
}

#[test]
fn previews_keep_secrets_as_names_and_the_runner_fills_them() {
    let action = example()
        .into_iter()
        .find(|a| a.id == "freeze_deploys")
        .unwrap();
    let params = BTreeMap::new();
    let context = Context {
        incident_id: "INC-1",
        actor: "alice",
        severity: "SEV1",
        params: &params,
    };
    let preview = action.render(&context, None).unwrap();
    let text = preview.describe();
    assert!(text.contains("${DEPLOY_API_TOKEN}"), "{text}");
    let lookup = |name: &str| (name == "DEPLOY_API_TOKEN").then(|| "s3cret".to_string());
    let real = action.render(&context, Some(&lookup)).unwrap();
    assert!(real.describe().contains("s3cret"));
    let missing = |_: &str| None;
    assert_eq!(
        action.render(&context, Some(&missing)),
        Err(ActionError::MissingSecret("DEPLOY_API_TOKEN".into()))
    );
}

#[test]
fn only_true_loopback_urls_may_be_plain_http() {
    for ok in [
        "http://127.0.0.1:8080/x",
        "http://localhost/",
        "http://[::1]:9/a",
        "http://127.0.0.1",
    ] {
        assert!(is_loopback_http(ok), "{ok}");
    }
    for bad in [
        "http://127.0.0.1.evil.example/",
        "http://localhost.evil/x",
        "https://127.0.0.1/",
        "http://10.0.0.1/",
        "http://evil/127.0.0.1",
    ] {
        assert!(!is_loopback_http(bad), "{bad}");
    }
}

#[test]
fn load_checks_catch_mistakes() {
    let mut action = example()
        .into_iter()
        .find(|a| a.id == "clamp_tenant_budget")
        .unwrap();
    action.body = Some("{\"t\": \"{tenat}\"}".into());
    assert!(matches!(action.check(), Err(ActionError::UnknownPlaceholder(n)) if n == "tenat"));
    let mut action = example()
        .into_iter()
        .find(|a| a.id == "clamp_tenant_budget")
        .unwrap();
    action.body = Some("{\"t\": \"${SECRET}\"}".into());
    assert!(matches!(
        action.check(),
        Err(ActionError::SecretNotAllowed(_))
    ));
    let dotted = url_action("https://p.example/a/%2e%2E/{v}", "^[a-z]+$");
    let refused = dotted.check().unwrap_err().to_string();
    assert!(refused.contains("`..`"), "{refused}");
}

/// A test action: `url` with one parameter `v` whose pattern is `pattern`.
fn url_action(url: &str, pattern: &str) -> ActionSpec {
    toml::from_str(&format!(
        "id = \"a\"\ntitle = \"A\"\ndescription = \"D\"\nroles = [\"ops\"]\nconfirm = true\n\
         two_person = false\nidempotent = true\ntimeout_seconds = 1\nkind = \"http\"\n\
         method = \"PUT\"\nurl = \"{url}\"\n\n[[param]]\nname = \"v\"\n\
         description = \"The value\"\npattern = '{pattern}'\n"
    ))
    .unwrap()
}

fn render_with(action: &ActionSpec, value: &str) -> Result<Request, ActionError> {
    let params = BTreeMap::from([("v".to_string(), value.to_string())]);
    action.validate(&params)?;
    let context = Context {
        incident_id: "INC-1",
        actor: "alice",
        severity: "SEV1",
        params: &params,
    };
    action.render(&context, None)
}

#[test]
fn dot_segments_never_reach_a_url_path() {
    let action = url_action("https://p.example/clamp/{v}/budget?note={v}", "^[^/]+$");
    for dot in [".", "..", "%2e", "%2E%2e", ".%2e"] {
        let refused = render_with(&action, dot);
        assert!(
            matches!(&refused, Err(ActionError::BadValue { name, .. }) if name == "v"),
            "{dot}: {refused:?}"
        );
    }
    let Ok(Request::Http { url, .. }) = render_with(&action, "acme.eu") else {
        panic!("a normal value renders");
    };
    assert_eq!(url, "https://p.example/clamp/acme.eu/budget?note=acme.eu");
    // In the query a dot is just a dot; a literal `..` in the template is refused too.
    let query = url_action("https://p.example/x?v={v}", "^[^/]+$");
    assert!(render_with(&query, "..").is_ok());
    let literal = url_action("https://p.example/a/../{v}", "^[^/]+$");
    assert!(matches!(
        render_with(&literal, "acme"),
        Err(ActionError::Invalid(_))
    ));
}

#[test]
fn digits_are_ascii_unless_the_parameter_says_unicode() {
    let action = url_action("https://p.example/budget/{v}", r"^\d{1,6}$");
    assert!(render_with(&action, "50").is_ok());
    assert!(matches!(
        render_with(&action, "٥٠"),
        Err(ActionError::BadParam { .. })
    ));
    let mut unicode = action.clone();
    unicode.params[0].unicode = true;
    assert!(render_with(&unicode, "٥٠").is_ok());
    // Opting in changes the definition, so its fingerprint; leaving it out does not
    // change a definition written before the option existed.
    assert_ne!(unicode.fingerprint(), action.fingerprint());
    let json = serde_json::to_string(&action).unwrap();
    assert!(!json.contains("unicode"), "{json}");
}
