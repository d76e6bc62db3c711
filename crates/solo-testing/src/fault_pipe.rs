//! One proxied connection: forwards bytes both ways, applying the switches in
//! [`crate::fault_state`] to every chunk.
//!
//! Each direction is a reader and a writer joined by a small queue of chunks stamped with the
//! time they may be delivered, so added latency delays every chunk without limiting
//! throughput. The blackhole switch is read when a chunk is due: a chunk (or an end of stream,
//! or a read error) swallowed while it is on marks the whole connection *dark*, and a dark
//! connection swallows everything until it is closed, because its byte stream has a hole that
//! can never be repaired.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::fault_state::{Counter, FaultState};

/// The largest chunk read at once.
const CHUNK: usize = 16 * 1024;

/// Chunks queued per direction before the reader waits for the writer.
const CHUNKS_IN_FLIGHT: usize = 64;

/// Something read from one side, to deliver to the other at `due`.
#[derive(Debug)]
struct Segment {
    due: Instant,
    /// The bytes, or `None` for the end of the stream.
    data: Option<Vec<u8>>,
}

/// How a connection ended.
enum Outcome {
    /// `reset_all` was called.
    Reset,
    /// Both sides closed.
    Closed,
    /// One side failed; the other is told with an RST.
    Failed(std::io::Error),
}

/// Closes `stream` with an RST instead of a FIN.
pub(crate) fn reset(stream: TcpStream) {
    if let Err(e) = stream.set_zero_linger() {
        tracing::debug!(error = %e, "could not set SO_LINGER 0; the close will be a FIN");
    }
    drop(stream);
}

/// Forwards `client` to `target` until either side closes, a side fails or `resets` changes.
pub(crate) async fn forward(
    mut client: TcpStream,
    target: SocketAddr,
    state: Arc<FaultState>,
    mut resets: watch::Receiver<u64>,
) {
    let _open = state.open_connection();
    let connected = tokio::select! {
        _ = resets.changed() => {
            state.count(Counter::Reset);
            reset(client);
            return;
        }
        connected = TcpStream::connect(target) => connected,
    };
    let mut upstream = match connected {
        Ok(upstream) => upstream,
        Err(e) => {
            state.count(Counter::UpstreamFailure);
            tracing::debug!(%target, error = %e, "fault proxy: the target did not answer");
            // Nothing may reach the client while traffic is dropped, not even the failure.
            if state.blackholed() && swallow(&mut client, &mut resets).await {
                state.count(Counter::Reset);
            }
            reset(client);
            return;
        }
    };
    for stream in [&client, &upstream] {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "fault proxy: could not set TCP_NODELAY");
        }
    }
    let dark = AtomicBool::new(false);
    let outcome = {
        let (client_read, client_write) = client.split();
        let (upstream_read, upstream_write) = upstream.split();
        let up = direction(client_read, upstream_write, &state, &dark);
        let down = direction(upstream_read, client_write, &state, &dark);
        tokio::pin!(up, down);
        let (mut up_done, mut down_done) = (false, false);
        loop {
            tokio::select! {
                _ = resets.changed() => break Outcome::Reset,
                ended = &mut up, if !up_done => match ended {
                    Err(e) => break Outcome::Failed(e),
                    // Once the client has gone, a dark connection has nobody left to keep
                    // in the dark.
                    Ok(()) if down_done || dark.load(Ordering::SeqCst) => break Outcome::Closed,
                    Ok(()) => up_done = true,
                },
                ended = &mut down, if !down_done => match ended {
                    Err(e) => break Outcome::Failed(e),
                    Ok(()) if up_done => break Outcome::Closed,
                    Ok(()) => down_done = true,
                },
            }
        }
    };
    match outcome {
        Outcome::Reset => {
            state.count(Counter::Reset);
            reset(client);
            reset(upstream);
        }
        Outcome::Failed(e) => {
            tracing::debug!(error = %e, "fault proxy: a side failed; resetting the other");
            reset(client);
            reset(upstream);
        }
        Outcome::Closed => {}
    }
}

/// Reads and drops everything from `client` until it closes or a reset comes; returns whether
/// a reset came.
async fn swallow(client: &mut TcpStream, resets: &mut watch::Receiver<u64>) -> bool {
    let mut buf = vec![0; CHUNK];
    loop {
        tokio::select! {
            _ = resets.changed() => return true,
            read = client.read(&mut buf) => match read {
                Ok(0) | Err(_) => return false,
                Ok(_) => {}
            },
        }
    }
}

/// Forwards one direction until its source ends. Returns an error when a side failed and the
/// connection is not dark.
async fn direction<R, W>(
    mut from: R,
    mut to: W,
    state: &FaultState,
    dark: &AtomicBool,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (queue, mut queued) = mpsc::channel::<Segment>(CHUNKS_IN_FLIGHT);
    let is_dark = || {
        if state.blackholed() {
            dark.store(true, Ordering::SeqCst);
        }
        dark.load(Ordering::SeqCst)
    };
    let reader = async move {
        let mut buf = vec![0; CHUNK];
        loop {
            let read = match from.read(&mut buf).await {
                Ok(read) => read,
                // A failure that would have travelled across the partition is lost in it.
                Err(_) if is_dark() => return Ok(()),
                Err(e) => return Err(e),
            };
            let segment = Segment {
                due: Instant::now() + state.latency(),
                data: (read > 0).then(|| buf[..read].to_vec()),
            };
            if queue.send(segment).await.is_err() || read == 0 {
                return Ok(());
            }
        }
    };
    let writer = async move {
        while let Some(segment) = queued.recv().await {
            if segment.due > Instant::now() {
                tokio::time::sleep_until(segment.due).await;
            }
            if is_dark() {
                continue;
            }
            match segment.data {
                Some(bytes) => to.write_all(&bytes).await?,
                None => {
                    to.shutdown().await?;
                    return Ok(());
                }
            }
        }
        Ok(())
    };
    tokio::try_join!(reader, writer).map(|_| ())
}
