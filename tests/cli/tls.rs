//! TLS: a throwaway cluster with a certificate signed by a test CA, and plain connections
//! refused (`hostnossl … reject`), so every success below went over TLS. `verify-full` checks
//! the chain and the host name, `verify-ca` only the chain, `require` neither.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Cluster, ClusterOptions, stderr, syncctl_bare};

/// A CA and a server certificate for the name `localhost` only (not 127.0.0.1).
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let out = Command::new("openssl").args(args).current_dir(dir.path()).output().expect("openssl runs");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        for name in ["ca", "other-ca"] {
            let subject = format!("/CN=syncctl test {name}");
            let mut args = vec!["req", "-x509", "-days", "2", "-subj", &subject, "-keyout"];
            let (key, crt) = (format!("{name}.key"), format!("{name}.crt"));
            args.extend([key.as_str(), "-out", crt.as_str()]);
            args.extend(ec);
            args.extend(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
            run(&args);
        }
        // The server's certificate for the name localhost, and a client certificate for the
        // role postgres (its CN), both signed by the CA.
        let leaves = [
            ("server", "/CN=localhost", "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n"),
            ("client", "/CN=postgres", "extendedKeyUsage=clientAuth\n"),
        ];
        for (name, subject, extensions) in leaves {
            let (key, csr, crt, ext) =
                (format!("{name}.key"), format!("{name}.csr"), format!("{name}.crt"), format!("{name}.cnf"));
            let mut args = vec!["req", "-new", "-subj", subject, "-keyout", &key, "-out", &csr];
            args.extend(ec);
            run(&args);
            std::fs::write(dir.path().join(&ext), extensions).unwrap();
            run(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &ext,
                "-out",
                &crt,
            ]);
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }
}

fn tls_cluster(pki: &Pki) -> Cluster {
    tls_cluster_with(pki, &[])
}

/// [`tls_cluster`] with `hba` lines first, and the CA as the server's `ssl_ca_file`.
fn tls_cluster_with(pki: &Pki, hba: &[&str]) -> Cluster {
    let mut hba_lines: Vec<String> = hba.iter().map(|l| l.to_string()).collect();
    hba_lines.push("hostnossl all all 127.0.0.1/32 reject".into());
    let cluster = Cluster::start(ClusterOptions {
        conf_lines: vec![
            "ssl = on".into(),
            "ssl_cert_file = 'server.crt'".into(),
            "ssl_key_file = 'server.key'".into(),
            "ssl_ca_file = 'ca.crt'".into(),
        ],
        hba_lines,
        data_files: vec![
            ("server.crt".into(), pki.read("server.crt")),
            ("server.key".into(), pki.read("server.key")),
            ("ca.crt".into(), pki.read("ca.crt")),
        ],
        ..ClusterOptions::default()
    });
    // The table, over the Unix socket (which stays trust and needs no TLS).
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/schema.sql");
    let out = Command::new(cluster.pg_bin("psql"))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h"])
        .arg(cluster.socket_dir())
        .args(["-p", &cluster.port().to_string(), "-U", "postgres", "-d", "postgres", "-f"])
        .arg(schema)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    cluster
}

/// `validate-constraints` over `url`, with an empty HOME so no ~/.postgresql/root.crt is found.
fn validate(url: &str, root_cert: Option<&Path>) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = syncctl_bare();
    cmd.env("HOME", home.path()).env("DATABASE_URL", url).arg("validate-constraints");
    if let Some(root) = root_cert {
        cmd.env("PGSSLROOTCERT", root);
    }
    cmd.output().unwrap()
}

#[test]
fn sslmodes_verify_what_libpq_verifies() {
    let pki = Pki::new();
    let cluster = tls_cluster(&pki);
    let port = cluster.port();
    let url = |host: &str, mode: &str| format!("postgres://postgres@{host}:{port}/postgres?sslmode={mode}");
    let ca = pki.path("ca.crt");

    // verify-full: chain and name.
    let out = validate(&url("localhost", "verify-full"), Some(&ca));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // The certificate names localhost, not 127.0.0.1: verify-full refuses, verify-ca accepts.
    let out = validate(&url("127.0.0.1", "verify-full"), Some(&ca));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let out = validate(&url("127.0.0.1", "verify-ca"), Some(&ca));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Another CA's certificate: the chain does not verify.
    let out = validate(&url("localhost", "verify-full"), Some(&pki.path("other-ca.crt")));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    // verify-full without any root certificate: a clear configuration error.
    let out = validate(&url("localhost", "verify-full"), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("PGSSLROOTCERT"), "{}", stderr(&out));

    // require: encrypted, not verified; disable: refused by the server's hostnossl rule.
    let out = validate(&url("127.0.0.1", "require"), None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = validate(&url("127.0.0.1", "disable"), None);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    // PGSSLMODE applies when the URL says nothing; sslrootcert= in the URL works too.
    let home = tempfile::tempdir().unwrap();
    let out = syncctl_bare()
        .env("HOME", home.path())
        .env("PGSSLMODE", "verify-full")
        .env("DATABASE_URL", format!("postgres://postgres@localhost:{port}/postgres?sslrootcert={}", ca.display()))
        .arg("validate-constraints")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Over the Unix socket libpq ignores sslmode (the server offers no TLS there): require, and
    // verify-full without any root certificate, connect as psql does.
    for mode in ["require", "verify-full"] {
        let socket =
            format!("host={} port={port} user=postgres dbname=postgres sslmode={mode}", cluster.socket_dir().display());
        let out = validate(&socket, None);
        assert_eq!(out.status.code(), Some(0), "sslmode={mode} over the socket: {}", stderr(&out));
    }
}

/// A server that requires a client certificate (`clientcert=verify-full`: signed by its CA, CN
/// the role): refused without one; accepted with sslcert / sslkey in the URL, with PGSSLCERT /
/// PGSSLKEY, and with libpq's default ~/.postgresql/postgresql.crt and .key.
#[test]
fn client_certificates_from_the_url_the_environment_and_the_default_files() {
    let pki = Pki::new();
    let cluster = tls_cluster_with(&pki, &["hostssl all all 127.0.0.1/32 trust clientcert=verify-full"]);
    let url = format!("postgres://postgres@localhost:{}/postgres?sslmode=verify-full", cluster.port());
    let ca = pki.path("ca.crt");
    let (cert, key) = (pki.path("client.crt"), pki.path("client.key"));

    let out = validate(&url, Some(&ca));
    assert_eq!(out.status.code(), Some(3), "no client certificate: refused: {}", stderr(&out));

    let with_files = format!("{url}&sslcert={}&sslkey={}", cert.display(), key.display());
    let out = validate(&with_files, Some(&ca));
    assert_eq!(out.status.code(), Some(0), "sslcert / sslkey: {}", stderr(&out));

    let home = tempfile::tempdir().unwrap();
    let run = |home: &Path, envs: &[(&str, &Path)]| {
        let mut cmd = syncctl_bare();
        cmd.env("HOME", home).env("DATABASE_URL", &url).env("PGSSLROOTCERT", &ca).arg("validate-constraints");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(home.path(), &[("PGSSLCERT", &cert), ("PGSSLKEY", &key)]);
    assert_eq!(out.status.code(), Some(0), "PGSSLCERT / PGSSLKEY: {}", stderr(&out));

    let dot = home.path().join(".postgresql");
    std::fs::create_dir(&dot).unwrap();
    std::fs::copy(&cert, dot.join("postgresql.crt")).unwrap();
    std::fs::copy(&key, dot.join("postgresql.key")).unwrap();
    let out = run(home.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "~/.postgresql/postgresql.crt: {}", stderr(&out));

    // A certificate named but missing is a configuration error, said before any connection.
    let out = run(home.path(), &[("PGSSLCERT", &pki.path("missing.crt"))]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing.crt") && stderr(&out).contains("PGSSLCERT"), "{}", stderr(&out));
}
