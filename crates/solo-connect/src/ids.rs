//! Identifiers every layer needs: random request ids and the host name in a worker's or
//! client's identity. Written here on the standard library so that the client and worker need
//! no crate for either.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Counts the ids made by this process, so that two ids never hash the same input.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// 128 unpredictable bits: the standard library's `RandomState` is keyed from the operating
/// system's random source (once per thread, then stepped per instance), and SipHash of a
/// process-unique input under that key is as good as random for ids. The input is a sequence
/// number, the process id (a forked child shares its parent's keys and sequence) and the
/// time; the second half hashes one more byte (each read of the process id is a system call,
/// so one id reads it once).
fn random_u128() -> u128 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(SEQUENCE.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    let high = hasher.finish();
    hasher.write_u8(1);
    (u128::from(high) << 64) | u128::from(hasher.finish())
}

/// A new random (version 4, RFC 9562) UUID in its hyphenated lower-case form, as the
/// Temporal SDKs send for `request_id` and worker instance keys.
///
/// Unique, not secret: do not use it as a credential.
///
/// ```
/// let id = solo_connect::__private::random_uuid();
/// assert_eq!(id.len(), 36);
/// assert_eq!(&id[14..15], "4");
/// assert_ne!(id, solo_connect::__private::random_uuid());
/// ```
pub fn random_uuid() -> String {
    let mut bytes = random_u128().to_le_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // the RFC variant
    let mut out = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// This machine's host name, as `socket.gethostname()` gives it to the Python SDK's
/// identities; `"localhost"` if it cannot be read.
pub fn hostname() -> String {
    read_hostname()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn read_hostname() -> Option<String> {
    // The kernel's UTS name, which is what gethostname(2) returns on Linux.
    std::fs::read_to_string("/proc/sys/kernel/hostname").ok()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn read_hostname() -> Option<String> {
    Some(gethostname::gethostname().to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let ids: HashSet<String> = (0..10_000).map(|_| random_uuid()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(100) {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(parts[2].starts_with('4'), "{id}");
            assert!(
                matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
                "{id}"
            );
            assert!(id.bytes().all(|b| b == b'-' || HEX.contains(&b)), "{id}");
        }
    }

    #[test]
    fn uuids_differ_across_threads() {
        let ids: HashSet<String> = (0..8)
            .map(|_| std::thread::spawn(random_uuid))
            .map(|t| t.join().unwrap())
            .collect();
        assert_eq!(ids.len(), 8);
    }

    #[test]
    fn hostname_is_not_empty() {
        let name = hostname();
        assert!(!name.is_empty());
        assert_eq!(name, name.trim());
    }
}
