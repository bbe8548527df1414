//! Cancelling a running statement as libpq does: the CancelRequest on a new connection, then a
//! wait for the other end to close it. tokio-postgres closes its side as soon as the request is
//! written, and PgBouncer (1.18), which forwards the request over a server connection of its
//! own, drops a request whose client has already gone ("client unexpected eof"): the statement
//! would run on. So the socket stays open, through a second handle on it, until the server or
//! the pooler closes it, or [`LINGER`] passes.

use std::io;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio_postgres::CancelToken;
use tokio_postgres::config::Host;
use tokio_postgres::tls::MakeTlsConnect;

use super::settings::Settings;
use super::tls;

/// How long to wait for the other end to close the cancel connection.
const LINGER: Duration = Duration::from_secs(5);

/// Sends `token`'s cancel request to the first host of `settings`.
pub(super) async fn send(settings: &Settings, token: &CancelToken) -> Result<()> {
    let config = &settings.config;
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let mut connector = tls::connector(&settings.verification, settings.client_cert.as_ref())?;
    match config.get_hosts().first() {
        Some(Host::Unix(dir)) => {
            let path = dir.join(format!(".s.PGSQL.{port}"));
            let stream =
                UnixStream::connect(&path).await.with_context(|| format!("connecting to {}", path.display()))?;
            let std = stream.into_std()?;
            let dup = std.try_clone()?;
            let (stream, keep) = (UnixStream::from_std(std)?, UnixStream::from_std(dup)?);
            let tls = MakeTlsConnect::<Held<UnixStream>>::make_tls_connect(&mut connector, "localhost")?;
            token.cancel_query_raw(Held(stream), tls).await?;
            linger(keep).await;
        }
        Some(Host::Tcp(host)) => {
            let stream = TcpStream::connect((host.as_str(), port))
                .await
                .with_context(|| format!("connecting to {host}:{port}"))?;
            let std = stream.into_std()?;
            let dup = std.try_clone()?;
            let (stream, keep) = (TcpStream::from_std(std)?, TcpStream::from_std(dup)?);
            let tls = MakeTlsConnect::<Held<TcpStream>>::make_tls_connect(&mut connector, host)?;
            token.cancel_query_raw(Held(stream), tls).await?;
            linger(keep).await;
        }
        None => anyhow::bail!("no host to send the cancel request to"),
    }
    Ok(())
}

/// Reads until the other end closes, at most [`LINGER`].
async fn linger(mut keep: impl AsyncRead + Unpin) {
    let mut buf = [0u8; 256];
    let _ = tokio::time::timeout(LINGER, async { while matches!(keep.read(&mut buf).await, Ok(n) if n > 0) {} }).await;
}

/// A stream whose shutdown does nothing: the request is written and flushed, and the socket
/// closes only when the other end closes it.
struct Held<S>(S);

impl<S: AsyncRead + Unpin> AsyncRead for Held<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Held<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
