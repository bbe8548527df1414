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
pub fn with_database(url: &str, db: &str) -> String {
    let parts = split(url);
    join(&parts, parts.userinfo, db)
}

/// `url` pointing at database `db` as `user` (with `password`, if any) instead.
pub fn with_user(url: &str, db: &str, user: &str, password: Option<&str>) -> String {
    let parts = split(url);
    let userinfo = match password {
        Some(pw) => format!("{}:{}", encode(user), encode(pw)),
        None => encode(user),
    };
    join(&parts, Some(&userinfo), db)
}

pub use syncctl::cluster::url_encode as encode;
