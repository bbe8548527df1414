//! [`Proxy`]: a wire-protocol relay in front of the test server that shows what syncctl sent
//! before it saw a statement's answer: it logs each statement sent and each end of an answer
//! ([`Wire`]), and can hold every answer back from the moment a statement with a marker is sent
//! (what the application's writers wait on while syncctl holds a lock).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use super::pgurl;

/// What the proxy saw, in the order it saw it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Wire {
    /// A statement's text, as sent by the client (a simple Query, or the Parse of an extended one).
    Sent(String),
    /// The server's ReadyForQuery: the end of the answer to a Query or a Sync.
    Ready,
}

/// A TCP proxy in front of the test server, one relay thread pair per client connection.
/// Encryption is refused (SSLRequest answered `N`), so the protocol can be read.
pub(crate) struct Proxy {
    port: u16,
    shared: Arc<Shared>,
}

/// What the relays of one [`Proxy`] share.
struct Shared {
    /// Statements containing it start the hold; `None`: never hold.
    marker: Option<String>,
    log: Mutex<Vec<Wire>>,
    hold: Mutex<Hold>,
    released: Condvar,
    stop: AtomicBool,
}

/// Where a holding [`Proxy`] is.
#[derive(Default)]
struct Hold {
    /// The marker was sent: answers are held from then on.
    seen: bool,
    /// [`Proxy::release`] was called: everything goes through.
    released: bool,
}

/// SSLRequest's and GSSENCRequest's codes in a startup packet.
const ENCRYPTION_REQUESTS: [u32; 2] = [80_877_103, 80_877_104];

impl Proxy {
    /// A proxy that passes everything on and logs it.
    pub(crate) fn logging(server_url: &str) -> Proxy {
        Proxy::start(server_url, None)
    }

    /// A proxy that, from the moment a client sends a statement containing `marker`, holds back
    /// every answer of the server until [`Proxy::release`]. While it holds, the client has not
    /// seen the statement's end, so whatever the server does after the statement on that
    /// connection (a COMMIT, a lock released) was sent together with it, not after its answer:
    /// one round trip, observed on the server.
    pub(crate) fn holding(server_url: &str, marker: &str) -> Proxy {
        Proxy::start(server_url, Some(marker.to_string()))
    }

    fn start(server_url: &str, marker: Option<String>) -> Proxy {
        let (host, port, _, _) = pgurl::address(server_url);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let own = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            marker,
            log: Mutex::new(Vec::new()),
            hold: Mutex::new(Hold::default()),
            released: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let relays = shared.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                if relays.stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect((host.as_str(), port)) else { continue };
                let shared = relays.clone();
                thread::spawn(move || {
                    let _ = relay(client, server, &shared);
                });
            }
        });
        Proxy { port: own, shared }
    }

    /// `url` pointing at the proxy instead of the server.
    pub(crate) fn url(&self, url: &str) -> String {
        pgurl::with_address(url, "127.0.0.1", self.port)
    }

    /// Everything seen so far.
    pub(crate) fn log(&self) -> Vec<Wire> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Whether the marker was sent (answers are held since).
    pub(crate) fn is_holding(&self) -> bool {
        self.shared.hold.lock().unwrap().seen
    }

    /// Lets every answer through, held or later.
    pub(crate) fn release(&self) {
        self.shared.hold.lock().unwrap().released = true;
        self.shared.released.notify_all();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.release();
        self.shared.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so it sees the stop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One client connection: the startup (refusing encryption), then each message both ways, logged
/// before it is passed on; the server's held while the proxy holds.
fn relay(mut client: TcpStream, mut server: TcpStream, shared: &Arc<Shared>) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let mut startup = read_message(&mut client, false)?;
    while startup.len() == 8 && ENCRYPTION_REQUESTS.contains(&u32::from_be_bytes(startup[4..8].try_into().unwrap())) {
        client.write_all(b"N")?;
        startup = read_message(&mut client, false)?;
    }
    server.write_all(&startup)?;
    let (mut from_server, mut to_client) = (server.try_clone()?, client.try_clone()?);
    let back = shared.clone();
    let answers = thread::spawn(move || {
        while let Ok(message) = read_message(&mut from_server, true) {
            let _hold = back.released.wait_while(back.hold.lock().unwrap(), |h| h.seen && !h.released).unwrap();
            if message[0] == b'Z' {
                back.log.lock().unwrap().push(Wire::Ready);
            }
            if to_client.write_all(&message).is_err() {
                break;
            }
        }
        let _ = to_client.shutdown(Shutdown::Write);
    });
    while let Ok(message) = read_message(&mut client, true) {
        let body = &message[5..];
        // Query: the text; Parse: the statement's name, then the text.
        let text = match message[0] {
            b'Q' => Some(body),
            b'P' => body.iter().position(|&b| b == 0).map(|end| &body[end + 1..]),
            _ => None,
        };
        if let Some(text) = text {
            let text = String::from_utf8_lossy(text.split(|&b| b == 0).next().unwrap_or_default()).into_owned();
            if shared.marker.as_ref().is_some_and(|m| text.contains(m.as_str())) {
                // Before the server can answer it.
                shared.hold.lock().unwrap().seen = true;
            }
            shared.log.lock().unwrap().push(Wire::Sent(text));
        }
        server.write_all(&message)?;
    }
    let _ = server.shutdown(Shutdown::Write);
    let _ = answers.join();
    Ok(())
}

/// One protocol message as sent: its type byte (none in the startup phase), its length, its body.
fn read_message(stream: &mut TcpStream, typed: bool) -> std::io::Result<Vec<u8>> {
    let mut message = vec![0; if typed { 5 } else { 4 }];
    stream.read_exact(&mut message)?;
    let at = message.len() - 4;
    let length = u32::from_be_bytes(message[at..].try_into().unwrap()) as usize;
    message.resize(at + length, 0);
    stream.read_exact(&mut message[at + 4..])?;
    Ok(message)
}
