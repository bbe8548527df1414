//! Just enough `postgres://` URL handling for the harness: swap the database or the user of a
//! server URL, keeping host, port and query parameters (`?sslmode=…`) as they are.

/// The parts of a `postgres://[userinfo@]host[:port][/database][?query]` URL.
struct Parts<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    hosts: &'a str,
    query: Option<&'a str>,
}

fn split(url: &str) -> Parts<'_> {
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(s, _)| *s == "postgres" || *s == "postgresql")
        .unwrap_or_else(|| panic!("the test server must be given as a postgres:// URL, not {url:?}"));
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let query = tail.split_once('?').map(|(_, q)| q);
    Parts { scheme, userinfo, hosts, query }
}

fn join(parts: &Parts<'_>, userinfo: Option<&str>, db: &str) -> String {
    let mut url = format!("{}://", parts.scheme);
    if let Some(u) = userinfo {
        url.push_str(u);
        url.push('@');
    }
    url.push_str(parts.hosts);
    url.push('/');
    url.push_str(&encode(db));
    if let Some(q) = parts.query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// `url` pointing at database `db` instead, same user and password.
pub(super) fn with_database(url: &str, db: &str) -> String {
    let parts = split(url);
    join(&parts, parts.userinfo, db)
}

/// The `host:port` of `url` (the first, for a multi-host URL) and its user and password.
pub(super) fn address(url: &str) -> (String, u16, String, Option<String>) {
    let parts = split(url);
    let first = parts.hosts.split(',').next().unwrap_or("localhost");
    let (host, port) = match first.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().unwrap_or_else(|_| panic!("the port of {url:?}"))),
        None => (first.to_string(), 5432),
    };
    let (user, password) = match parts.userinfo {
        Some(u) => match u.split_once(':') {
            Some((u, p)) => (decode(u), Some(decode(p))),
            None => (decode(u), None),
        },
        None => ("postgres".to_string(), None),
    };
    (host, port, user, password)
}

/// `url` with its hosts replaced by `host:port`.
pub(super) fn with_address(url: &str, host: &str, port: u16) -> String {
    let parts = split(url);
    let hosts = format!("{host}:{port}");
    let db = url.split_once("://").and_then(|(_, r)| r.find('/').map(|i| &r[i + 1..])).unwrap_or("");
    let db = db.split('?').next().unwrap_or("");
    join(&Parts { hosts: &hosts, ..parts }, parts.userinfo, &decode(db))
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()),
        ) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `url` pointing at database `db` as `user` (with `password`, if any) instead.
pub(super) fn with_user(url: &str, db: &str, user: &str, password: Option<&str>) -> String {
    let parts = split(url);
    let userinfo = match password {
        Some(pw) => format!("{}:{}", encode(user), encode(pw)),
        None => encode(user),
    };
    join(&parts, Some(&userinfo), db)
}

pub(super) use syncctl::cluster::url_encode as encode;
