//! [`HoldingProxy`]: shows from the server what syncctl sent before it saw a statement's answer
//! (what the application's writers wait on while syncctl holds a lock).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use super::pgurl;

/// A TCP proxy in front of the test server that, from the moment a client sends a simple query
/// containing `marker`, holds back every answer of the server to that connection until
/// [`HoldingProxy::release`]. While it holds, the client has not seen the statement's end, so
/// whatever the server does after the statement on that connection (a COMMIT, a lock released)
/// was sent together with it, not after its answer: one round trip, observed on the server.
/// Encryption is refused (SSLRequest answered `N`), so the protocol can be read.
pub(crate) struct HoldingProxy {
    port: u16,
    state: Arc<(Mutex<Hold>, Condvar)>,
    stop: Arc<AtomicBool>,
}

/// Where a [`HoldingProxy`] is.
#[derive(Default)]
struct Hold {
    /// The marker was sent: answers are held from then on.
    seen: bool,
    /// [`HoldingProxy::release`] was called: everything goes through.
    released: bool,
}

/// SSLRequest's and GSSENCRequest's codes in a startup packet.
const ENCRYPTION_REQUESTS: [u32; 2] = [80_877_103, 80_877_104];

impl HoldingProxy {
    /// Starts a proxy in front of the server of `server_url` holding answers once `marker` is sent.
    pub(crate) fn start(server_url: &str, marker: &str) -> HoldingProxy {
        let (host, port, _, _) = pgurl::address(server_url);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let own = listener.local_addr().unwrap().port();
        let state = Arc::new((Mutex::new(Hold::default()), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, stopped, marker) = (state.clone(), stop.clone(), marker.as_bytes().to_vec());
        thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect((host.as_str(), port)) else { continue };
                let (state, marker) = (shared.clone(), marker.clone());
                thread::spawn(move || {
                    let _ = relay(client, server, &state, &marker);
                });
            }
        });
        HoldingProxy { port: own, state, stop }
    }

    /// `url` pointing at the proxy instead of the server.
    pub(crate) fn url(&self, url: &str) -> String {
        pgurl::with_address(url, "127.0.0.1", self.port)
    }

    /// Whether the marker was sent (answers are held since).
    pub(crate) fn holding(&self) -> bool {
        self.state.0.lock().unwrap().seen
    }

    /// Lets every answer through, held or later.
    pub(crate) fn release(&self) {
        self.state.0.lock().unwrap().released = true;
        self.state.1.notify_all();
    }
}

impl Drop for HoldingProxy {
    fn drop(&mut self) {
        self.release();
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so it sees the stop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One client connection: the startup (refusing encryption), then the client's messages to the
/// server, read one by one for the marker, and the server's bytes back, held while the proxy holds.
fn relay(
    mut client: TcpStream,
    mut server: TcpStream,
    state: &Arc<(Mutex<Hold>, Condvar)>,
    marker: &[u8],
) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let mut startup = startup_packet(&mut client)?;
    while startup.len() == 8 && ENCRYPTION_REQUESTS.contains(&u32::from_be_bytes(startup[4..8].try_into().unwrap())) {
        client.write_all(b"N")?;
        startup = startup_packet(&mut client)?;
    }
    server.write_all(&startup)?;
    let (mut from_server, mut to_client) = (server.try_clone()?, client.try_clone()?);
    let held = state.clone();
    let back = thread::spawn(move || {
        let mut buf = [0u8; 65536];
        loop {
            let n = match from_server.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let (lock, cv) = &*held;
            let _hold = cv.wait_while(lock.lock().unwrap(), |h| h.seen && !h.released).unwrap();
            if to_client.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to_client.shutdown(Shutdown::Write);
    });
    loop {
        let mut head = [0u8; 5];
        if client.read_exact(&mut head).is_err() {
            break;
        }
        let len = u32::from_be_bytes(head[1..5].try_into().unwrap()) as usize;
        let mut body = vec![0u8; len.saturating_sub(4)];
        client.read_exact(&mut body)?;
        if head[0] == b'Q' && body.windows(marker.len()).any(|w| w == marker) {
            // Before the server can answer it.
            state.0.lock().unwrap().seen = true;
        }
        server.write_all(&head)?;
        server.write_all(&body)?;
    }
    let _ = server.shutdown(Shutdown::Write);
    let _ = back.join();
    Ok(())
}

/// A startup packet as sent: its length, then the rest.
fn startup_packet(client: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    client.read_exact(&mut len)?;
    let mut packet = len.to_vec();
    packet.resize(u32::from_be_bytes(len) as usize, 0);
    client.read_exact(&mut packet[4..])?;
    Ok(packet)
}
