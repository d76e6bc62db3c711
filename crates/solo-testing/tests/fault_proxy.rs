//! `FaultProxy`: forwards bytes both ways to a loopback echo server, and each fault does what
//! its doc says — resets are RSTs on both sides, the blackhole is silent, refusing ends,
//! latency delays, and the proxy cleans up after itself. Every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use solo_testing::{FaultProxy, FaultProxyError, FaultStats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The most any single step may take before the test fails.
const STEP: Duration = Duration::from_secs(5);

/// How long a read must stay silent to count as "nothing arrives".
const SILENCE: Duration = Duration::from_millis(400);

/// Runs `step`, failing the test if it takes longer than [`STEP`].
async fn bounded<T>(what: &str, step: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(STEP, step)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {STEP:?}"))
}

/// An echo server on 127.0.0.1 that reports how each of its connections ended.
struct Echo {
    addr: SocketAddr,
    /// `Ok(())` for a clean end of stream, the error kind otherwise.
    ended: mpsc::UnboundedReceiver<Result<(), ErrorKind>>,
    task: JoinHandle<()>,
}

impl Echo {
    async fn start() -> Echo {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (report, ended) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                let report = report.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0; 8192];
                    let end = loop {
                        match stream.read(&mut buf).await {
                            Ok(0) => break Ok(()),
                            Ok(n) => {
                                if let Err(e) = stream.write_all(&buf[..n]).await {
                                    break Err(e.kind());
                                }
                            }
                            Err(e) => break Err(e.kind()),
                        }
                    };
                    let _ = report.send(end);
                });
            }
        });
        Echo { addr, ended, task }
    }

    /// How the next connection to end ended.
    async fn next_end(&mut self) -> Result<(), ErrorKind> {
        bounded("an echo connection ending", self.ended.recv())
            .await
            .expect("the echo server is running")
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn connect(proxy: &FaultProxy) -> TcpStream {
    bounded("connecting to the proxy", TcpStream::connect(proxy.addr()))
        .await
        .unwrap()
}

/// Sends `message` and reads back as many bytes.
async fn round_trip(stream: &mut TcpStream, message: &[u8]) -> Vec<u8> {
    bounded("an echo round trip", async {
        stream.write_all(message).await.unwrap();
        let mut back = vec![0; message.len()];
        stream.read_exact(&mut back).await.unwrap();
        back
    })
    .await
}

/// Asserts that nothing at all (no byte, no EOF, no error) arrives within [`SILENCE`].
async fn assert_silent(stream: &mut TcpStream, what: &str) {
    let mut buf = [0u8; 64];
    if let Ok(read) = tokio::time::timeout(SILENCE, stream.read(&mut buf)).await {
        panic!("{what}: expected silence, got {read:?}");
    }
}

/// Asserts that the stream was reset: the next read fails with `ECONNRESET`, not a clean end
/// of stream.
async fn assert_reset(stream: &mut TcpStream, what: &str) {
    let mut buf = [0u8; 64];
    let read = bounded(what, stream.read(&mut buf)).await;
    assert_eq!(
        read.map_err(|e| e.kind()).err(),
        Some(ErrorKind::ConnectionReset),
        "{what}: expected a connection reset"
    );
}

/// Waits until `check` holds for the proxy's stats.
async fn wait_stats(proxy: &FaultProxy, what: &str, check: impl Fn(&FaultStats) -> bool) {
    bounded(what, async {
        while !check(&proxy.stats()) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn forwards_bytes_both_ways_and_passes_a_clean_close_on() {
    let mut echo = Echo::start().await;
    let proxy = FaultProxy::start(echo.addr).await.unwrap();
    assert_eq!(proxy.target(), echo.addr);
    assert_eq!(proxy.address(), proxy.addr().to_string());
    assert!(proxy.addr().ip().is_loopback());

    let mut stream = connect(&proxy).await;
    // Larger than one chunk and than the queue, so the stream is split and reassembled.
    let message: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let (mut read, mut write) = stream.split();
    let (sent, back) = bounded("echoing 3 MB", async {
        tokio::join!(write.write_all(&message), async {
            let mut back = vec![0; message.len()];
            read.read_exact(&mut back).await.map(|_| back)
        })
    })
    .await;
    sent.unwrap();
    assert!(back.unwrap() == message, "the echoed bytes differ");

    // A FIN from the client reaches the server, whose FIN comes back as a clean EOF.
    stream.shutdown().await.unwrap();
    assert_eq!(echo.next_end().await, Ok(()));
    let mut rest = Vec::new();
    bounded("reading to EOF", stream.read_to_end(&mut rest))
        .await
        .unwrap();
    assert!(rest.is_empty());
    wait_stats(&proxy, "the connection closing", |s| s.open == 0).await;
    let stats = proxy.stats();
    assert_eq!((stats.accepted, stats.refused, stats.reset), (1, 0, 0));
}

#[tokio::test]
async fn reset_all_sends_an_rst_to_both_sides() {
    let mut echo = Echo::start().await;
    let proxy = FaultProxy::start(echo.addr).await.unwrap();
    let mut first = connect(&proxy).await;
    let mut second = connect(&proxy).await;
    assert_eq!(round_trip(&mut first, b"one").await, b"one");
    assert_eq!(round_trip(&mut second, b"two").await, b"two");

    proxy.reset_all();
    assert_reset(&mut first, "the first connection after reset_all").await;
    assert_reset(&mut second, "the second connection after reset_all").await;
    // The server side saw an RST too, not a clean close.
    assert_eq!(echo.next_end().await, Err(ErrorKind::ConnectionReset));
    assert_eq!(echo.next_end().await, Err(ErrorKind::ConnectionReset));
    wait_stats(&proxy, "two resets", |s| s.reset == 2 && s.open == 0).await;

    // Connections made afterwards are not affected.
    let mut third = connect(&proxy).await;
    assert_eq!(round_trip(&mut third, b"three").await, b"three");
}

#[tokio::test]
async fn blackhole_drops_traffic_silently_until_turned_off() {
    let mut echo = Echo::start().await;
    let proxy = FaultProxy::start(echo.addr).await.unwrap();
    let mut busy = connect(&proxy).await;
    let mut idle = connect(&proxy).await;
    assert_eq!(round_trip(&mut busy, b"before").await, b"before");
    assert_eq!(round_trip(&mut idle, b"before").await, b"before");

    proxy.blackhole(true);
    // No echo, no EOF, no RST: the read just times out.
    busy.write_all(b"lost").await.unwrap();
    assert_silent(&mut busy, "a connection in the blackhole").await;
    // New connections are accepted but hear nothing either.
    let mut during = connect(&proxy).await;
    during.write_all(b"lost too").await.unwrap();
    assert_silent(&mut during, "a connection opened in the blackhole").await;
    // Nor does anything reach the server: none of its connections ended.
    assert!(echo.ended.try_recv().is_err(), "a server connection ended");

    proxy.blackhole(false);
    // New connections work again.
    let mut after = connect(&proxy).await;
    assert_eq!(round_trip(&mut after, b"after").await, b"after");
    // A connection that was idle throughout carries on.
    assert_eq!(round_trip(&mut idle, b"still here").await, b"still here");
    // One that lost bytes stays dark: its stream has a hole.
    busy.write_all(b"more").await.unwrap();
    assert_silent(&mut busy, "a connection that lost bytes").await;
    assert_eq!(proxy.stats().reset, 0);
}

#[tokio::test]
async fn refuse_for_refuses_new_connections_then_recovers() {
    let echo = Echo::start().await;
    let proxy = FaultProxy::start(echo.addr).await.unwrap();
    let mut open = connect(&proxy).await;
    assert_eq!(round_trip(&mut open, b"open").await, b"open");

    // Long enough for the checks below to finish inside it on a loaded machine.
    let refused_for = Duration::from_millis(1500);
    let started = Instant::now();
    proxy.refuse_for(refused_for);
    let mut refused = connect(&proxy).await;
    assert_reset(&mut refused, "a connection made while refusing").await;
    assert!(started.elapsed() < refused_for, "the check took too long");
    // Open connections are untouched.
    assert_eq!(round_trip(&mut open, b"still").await, b"still");

    tokio::time::sleep(refused_for.saturating_sub(started.elapsed())).await;
    let mut later = connect(&proxy).await;
    assert_eq!(round_trip(&mut later, b"later").await, b"later");

    proxy.refuse(true);
    let mut refused = connect(&proxy).await;
    assert_reset(&mut refused, "a connection made while refusing for ever").await;
    proxy.refuse(false);
    let mut again = connect(&proxy).await;
    assert_eq!(round_trip(&mut again, b"again").await, b"again");

    let stats = proxy.stats();
    assert_eq!((stats.accepted, stats.refused, stats.reset), (5, 2, 0));
}

#[tokio::test]
async fn an_outage_resets_open_connections_and_refuses_new_ones() {
    let echo = Echo::start().await;
    let proxy = FaultProxy::start(echo.addr).await.unwrap();
    let mut open = connect(&proxy).await;
    assert_eq!(round_trip(&mut open, b"open").await, b"open");

    let outage = Duration::from_millis(1500);
    let started = Instant::now();
    proxy.outage(outage);
    assert_reset(&mut open, "an open connection at the outage").await;
    let mut during = connect(&proxy).await;
    assert_reset(&mut during, "a connection during the outage").await;
    assert!(started.elapsed() < outage, "the check took too long");

    tokio::time::sleep(outage.saturating_sub(started.elapsed())).await;
    let mut after = connect(&proxy).await;
    assert_eq!(round_trip(&mut after, b"after").await, b"after");
    let stats = proxy.stats();
    assert_eq!((stats.refused, stats.reset), (1, 1));
}

#[tokio::test]
async fn reset_every_resets_until_its_guard_is_dropped() {
    let echo = Echo::start().await;
    let proxy = FaultProxy::start(echo.addr).await.unwrap();
    let resets = proxy.reset_every(Duration::from_millis(150));
    for round in 0..3 {
        let mut stream = connect(&proxy).await;
        // Nothing is sent, so the next reset is the only thing that can end the read.
        assert_reset(&mut stream, &format!("round {round} of periodic resets")).await;
    }
    drop(resets);
    let mut stream = connect(&proxy).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(round_trip(&mut stream, b"calm").await, b"calm");
    assert!(proxy.stats().reset >= 3);
}

#[tokio::test]
async fn latency_delays_each_direction() {
    let echo = Echo::start().await;
    let proxy = FaultProxy::start(echo.addr).await.unwrap();
    let mut stream = connect(&proxy).await;
    assert_eq!(round_trip(&mut stream, b"warm").await, b"warm");

    let latency = Duration::from_millis(150);
    proxy.latency(latency);
    let started = Instant::now();
    assert_eq!(round_trip(&mut stream, b"slow").await, b"slow");
    let took = started.elapsed();
    assert!(took >= latency * 2, "a round trip took {took:?}");

    proxy.latency(Duration::ZERO);
    let started = Instant::now();
    assert_eq!(round_trip(&mut stream, b"fast").await, b"fast");
    assert!(started.elapsed() < took, "latency stayed on");
}

#[tokio::test]
async fn a_target_that_is_down_resets_new_connections() {
    // A port that was free a moment ago: nothing listens there.
    let target = TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let proxy = FaultProxy::start(target).await.unwrap();
    let mut stream = connect(&proxy).await;
    assert_reset(&mut stream, "a connection to a target that is down").await;
    wait_stats(&proxy, "the upstream failure", |s| {
        s.upstream_failures == 1 && s.open == 0
    })
    .await;
}

#[tokio::test]
async fn only_loopback_targets_are_accepted() {
    for target in ["192.0.2.1:7233", "0.0.0.0:7233", "[2001:db8::1]:7233"] {
        let target: SocketAddr = target.parse().unwrap();
        match FaultProxy::start(target).await {
            Err(e @ FaultProxyError::NotLoopback { .. }) => {
                assert!(e.to_string().contains(&target.to_string()), "{e}");
            }
            other => panic!("{target} was not refused: {other:?}"),
        }
    }
    for target in ["127.0.0.1:7233", "127.1.2.3:7233", "[::1]:7233"] {
        let target: SocketAddr = target.parse().unwrap();
        FaultProxy::start(target).await.unwrap();
    }
}

#[tokio::test]
async fn dropping_the_proxy_closes_its_listener_and_connections() {
    let echo = Echo::start().await;
    let proxy = FaultProxy::start(echo.addr).await.unwrap();
    let clone = proxy.clone();
    let addr = proxy.addr();
    let mut stream = connect(&proxy).await;
    assert_eq!(round_trip(&mut stream, b"hi").await, b"hi");

    drop(proxy);
    // A clone keeps it running.
    assert_eq!(round_trip(&mut stream, b"still").await, b"still");
    drop(clone);
    // The open connection ends (a close or a reset, but not a hang) ...
    let mut buf = [0u8; 8];
    let ended = bounded("the connection closing", stream.read(&mut buf)).await;
    assert!(matches!(ended, Ok(0) | Err(_)), "{ended:?}");
    // ... and the port stops accepting.
    bounded("the listener closing", async {
        while TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}
