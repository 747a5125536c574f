//! TLS with the real binary: `warroom tls self-signed` makes a certificate, `warroom
//! serve` speaks HTTPS/WSS with it, and `warroom list --hub https://…` trusts it with
//! `--ca` or `--fingerprint` and refuses it, in one line naming the host, without
//! either or with a wrong fingerprint. Plain text sent to the TLS port is answered and
//! closed while the hub keeps serving; a stalled handshake is closed by the header-read
//! timeout; a non-loopback hub without TLS refuses to start unless `allow_plaintext`;
//! bad certificate and key files stop `serve` with one line naming the file.

mod tls_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};
use tls_support::{Room, one_line};

#[test]
fn a_self_signed_hub_is_reached_with_ca_or_fingerprint_and_refused_otherwise() {
    let room = Room::new();
    let made = room.ok(&[
        "tls",
        "self-signed",
        "--host",
        "localhost",
        "--host",
        "127.0.0.1",
        "--out",
        room.path("tls").to_str().unwrap(),
    ]);
    let fingerprint = made.lines().next().unwrap().trim().to_string();
    assert!(fingerprint.starts_with("SHA256:"), "{made}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(room.path("tls/key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key is the owner's only");
    }
    // Never overwrites: a new certificate would silently change the fingerprint.
    let again = room.run(&[
        "tls",
        "self-signed",
        "--host",
        "x",
        "--out",
        room.path("tls").to_str().unwrap(),
    ]);
    assert_eq!(again.code, Some(1));
    assert!(
        one_line(&again.stderr).contains("already exists"),
        "{}",
        again.stderr
    );

    room.write_config("tls_cert = \"tls/cert.pem\"\ntls_key = \"tls/key.pem\"\n");
    let token = room.token("alice", "commander");
    let hub = room.serve();
    assert_eq!(hub.scheme, "https");
    assert!(
        hub.banner.iter().any(|l| l.contains(&fingerprint)),
        "the hub prints its fingerprint at start: {:?}",
        hub.banner
    );
    let https = format!("https://127.0.0.1:{}", hub.addr.port());
    let wss = format!("wss://127.0.0.1:{}", hub.addr.port());
    let ca = room.path("tls/cert.pem");
    let list = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["list"];
        args.extend_from_slice(extra);
        room.run_env(&args, &[("WARROOM_TOKEN", token.as_str())], env)
    };

    let with_ca = list(&["--hub", &https, "--ca", ca.to_str().unwrap()], &[]);
    assert_eq!(with_ca.code, Some(0), "{}", with_ca.stderr);
    assert!(
        with_ca.stdout.contains("No incidents"),
        "{}",
        with_ca.stdout
    );
    let pinned = list(&["--hub", &wss, "--fingerprint", &fingerprint], &[]);
    assert_eq!(pinned.code, Some(0), "{}", pinned.stderr);
    // The environment works as the flags do, and colons and case do not matter.
    let bare: String = fingerprint[7..].replace(':', "").to_lowercase();
    let from_env = list(
        &["--hub", &https],
        &[("WARROOM_FINGERPRINT", bare.as_str())],
    );
    assert_eq!(from_env.code, Some(0), "{}", from_env.stderr);
    let ca_env = list(&["--hub", &https], &[("WARROOM_CA", ca.to_str().unwrap())]);
    assert_eq!(ca_env.code, Some(0), "{}", ca_env.stderr);

    // Neither: the system's roots do not know a self-signed certificate.
    let untrusted = list(&["--hub", &https], &[]);
    assert_eq!(untrusted.code, Some(1));
    let line = one_line(&untrusted.stderr);
    assert!(
        line.contains("TLS with 127.0.0.1 failed")
            && line.contains("not signed by an authority this client trusts")
            && line.contains("--fingerprint"),
        "{line}"
    );
    // A wrong pin names both fingerprints.
    let wrong = format!("SHA256:{}", "AB".repeat(32));
    let mismatch = list(&["--hub", &https, "--fingerprint", &wrong], &[]);
    assert_eq!(mismatch.code, Some(1));
    let line = one_line(&mismatch.stderr);
    assert!(
        line.contains("TLS with 127.0.0.1 failed")
            && line.contains(&fingerprint)
            && line.contains("not the pinned SHA256:AB:AB"),
        "{line}"
    );
    // A CA that did not sign it is refused like no CA at all.
    let other = Room::new();
    other.ok(&[
        "tls",
        "self-signed",
        "--host",
        "127.0.0.1",
        "--out",
        other.path("tls").to_str().unwrap(),
    ]);
    let other_ca = other.path("tls/cert.pem");
    let wrong_ca = list(&["--hub", &https, "--ca", other_ca.to_str().unwrap()], &[]);
    assert_eq!(wrong_ca.code, Some(1));
    assert!(
        one_line(&wrong_ca.stderr).contains("not signed by an authority"),
        "{}",
        wrong_ca.stderr
    );
    // Bad trust input is a usage error, before any connection.
    let bad_pin = list(&["--hub", &https, "--fingerprint", "SHA256:nope"], &[]);
    assert_eq!(bad_pin.code, Some(2));
    assert!(
        one_line(&bad_pin.stderr).contains("not a SHA-256 fingerprint"),
        "{}",
        bad_pin.stderr
    );
    let both = list(
        &[
            "--hub",
            &https,
            "--fingerprint",
            &fingerprint,
            "--ca",
            ca.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(both.code, Some(2));
    assert!(
        one_line(&both.stderr).contains("not both"),
        "{}",
        both.stderr
    );
    // Never a silent fallback: the plain-text URL is refused by the TLS hub, in words.
    let plain = list(
        &["--hub", &format!("http://127.0.0.1:{}", hub.addr.port())],
        &[],
    );
    assert_eq!(plain.code, Some(1));
    assert!(
        one_line(&plain.stderr).contains("speaks TLS only"),
        "{}",
        plain.stderr
    );
}

#[test]
fn plain_text_and_stalled_handshakes_are_closed_while_the_hub_keeps_serving() {
    let room = Room::new();
    room.ok(&[
        "tls",
        "self-signed",
        "--host",
        "127.0.0.1",
        "--out",
        room.path("tls").to_str().unwrap(),
    ]);
    room.write_config(
        "tls_cert = \"tls/cert.pem\"\ntls_key = \"tls/key.pem\"\n[connections]\nheader_timeout_seconds = 1\n",
    );
    let token = room.token("alice", "commander");
    let hub = room.serve();
    // Someone who connects and says nothing holds only their own socket.
    let mut stalled = TcpStream::connect(hub.addr).unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Plain HTTP to the TLS port: a 400 saying to use TLS, then the close.
    let mut plain = TcpStream::connect(hub.addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    plain
        .write_all(b"GET /health HTTP/1.1\r\nHost: hub\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    plain
        .read_to_string(&mut answer)
        .expect("answered, then closed");
    assert!(
        answer.starts_with("HTTP/1.1 400") && answer.contains("speaks TLS only"),
        "{answer}"
    );
    // Garbage that is not HTTP either is closed the same way.
    let mut garbage = TcpStream::connect(hub.addr).unwrap();
    garbage
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    garbage.write_all(&[0u8; 64]).unwrap();
    let mut rest = Vec::new();
    let _ = garbage.read_to_end(&mut rest);
    // The hub still serves, with the stalled socket still open.
    let ca = room.path("tls/cert.pem");
    let https = format!("https://127.0.0.1:{}", hub.addr.port());
    let list = room.run_env(
        &["list", "--hub", &https, "--ca", ca.to_str().unwrap()],
        &[("WARROOM_TOKEN", token.as_str())],
        &[],
    );
    assert_eq!(list.code, Some(0), "{}", list.stderr);
    // The stalled handshake is closed by the 1 s header-read timeout.
    let started = Instant::now();
    let mut byte = [0u8; 1];
    let read = stalled.read(&mut byte);
    assert!(matches!(read, Ok(0)), "closed, not answered: {read:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let mut hub = hub;
    assert!(hub.alive(), "the hub is still running");
}

#[test]
fn a_non_loopback_hub_without_tls_refuses_to_start_unless_allowed() {
    let room = Room::new();
    room.write_config("");
    room.token("alice", "commander");
    let refused = room.run(&[
        "serve",
        "--listen",
        "0.0.0.0:0",
        "--config",
        room.config().to_str().unwrap(),
    ]);
    assert_eq!(refused.code, Some(1));
    let line = one_line(&refused.stderr);
    assert!(
        line.contains("refusing to listen on 0.0.0.0:0 without TLS")
            && line.contains("tls_cert")
            && line.contains("allow_plaintext = true"),
        "{line}"
    );
    let text = std::fs::read_to_string(room.config()).unwrap();
    std::fs::write(room.config(), format!("allow_plaintext = true\n{text}")).unwrap();
    let hub = room.serve_on("0.0.0.0:0");
    assert_eq!(hub.scheme, "http");
    assert!(hub.addr.ip().is_unspecified(), "{}", hub.addr);
    // With TLS it starts without the opt-out.
    let secure = Room::new();
    secure.ok(&[
        "tls",
        "self-signed",
        "--host",
        "127.0.0.1",
        "--out",
        secure.path("tls").to_str().unwrap(),
    ]);
    secure.write_config("tls_cert = \"tls/cert.pem\"\ntls_key = \"tls/key.pem\"\n");
    secure.token("alice", "commander");
    assert_eq!(secure.serve_on("0.0.0.0:0").scheme, "https");
}

/// A certificate and key made in the test, with chosen dates.
fn pair(dir: &Path, name: &str, not_after_year: i32) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(not_after_year, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

#[test]
fn bad_certificate_and_key_files_stop_the_hub_with_one_line_naming_the_file() {
    let room = Room::new();
    let (good_cert, good_key) = pair(&room.path(""), "good", 2090);
    let (_, other_key) = pair(&room.path(""), "other", 2090);
    let (expired_cert, expired_key) = pair(&room.path(""), "expired", 2021);
    let garbage = room.path("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let missing = room.path("missing.pem");
    let directory = room.path("");
    let cases: Vec<(&Path, &Path, &Path, &str)> = vec![
        (&missing, &good_key, &missing, "cannot read it"),
        (&good_cert, &missing, &missing, "cannot read it"),
        (&garbage, &good_key, &garbage, "holds no certificate"),
        (&good_cert, &garbage, &garbage, "holds no private key"),
        (&good_cert, &good_cert, &good_cert, "holds no private key"),
        (
            &good_cert,
            &other_key,
            &other_key,
            "does not belong to the certificate",
        ),
        (
            &expired_cert,
            &expired_key,
            &expired_cert,
            "expired on 2021-01-01",
        ),
        (&directory, &good_key, &directory, "cannot read it"),
    ];
    room.token("alice", "commander");
    let responders = std::fs::read_to_string(room.config()).unwrap();
    for (cert, key, named, problem) in cases {
        std::fs::write(
            room.config(),
            format!(
                "tls_cert = {:?}\ntls_key = {:?}\n{responders}",
                cert.display().to_string(),
                key.display().to_string()
            ),
        )
        .unwrap();
        let run = room.run(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--config",
            room.config().to_str().unwrap(),
        ]);
        assert_eq!(run.code, Some(1), "{problem}: {}", run.stderr);
        let line = one_line(&run.stderr);
        assert!(
            line.contains(&named.display().to_string()) && line.contains(problem),
            "expected `{problem}` naming {}: {line}",
            named.display()
        );
    }
    // The good pair starts.
    std::fs::write(
        room.config(),
        format!(
            "tls_cert = {:?}\ntls_key = {:?}\n{responders}",
            good_cert.display().to_string(),
            good_key.display().to_string()
        ),
    )
    .unwrap();
    assert_eq!(room.serve().scheme, "https");
}
