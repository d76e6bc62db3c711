//! What the operating system says about a process: CPU time and resident memory.
//!
//! Our own CPU comes from `getrusage(RUSAGE_SELF)` (microsecond resolution); another
//! process's from its threads' `/proc/<pid>/task/*/schedstat` (nanoseconds), falling back to
//! `/proc/<pid>/stat` (clock ticks, `USER_HZ` = 100 on every Linux ABI). Memory is `VmRSS`
//! (now) and `VmHWM` (peak) from `/proc/<pid>/status`.

use std::collections::HashMap;
use std::time::Duration;

/// Linux reports `/proc/<pid>/stat` times in `USER_HZ` ticks, fixed at 100 by the ABI.
const USER_HZ: f64 = 100.0;

/// User + system CPU seconds used so far by this process (all threads).
#[allow(unsafe_code)]
pub(crate) fn self_cpu_s() -> f64 {
    // SAFETY: `getrusage` only writes into the zeroed struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return pid_cpu_s(std::process::id()).unwrap_or(0.0);
        }
        usage
    };
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// User + system CPU seconds used so far by process `pid`, `None` when it is gone.
pub(crate) fn pid_cpu_s(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it are fixed.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// Resident memory of a process, in MiB.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Memory {
    /// `VmRSS`: resident now.
    pub(crate) rss_mb: f64,
    /// `VmHWM`: the peak resident size over the process's life.
    pub(crate) peak_mb: f64,
}

/// The memory of process `pid` (`None` when it is gone).
pub(crate) fn pid_memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some(Memory {
        rss_mb: kb("VmRSS:")? / 1024.0,
        peak_mb: kb("VmHWM:")? / 1024.0,
    })
}

/// This process's memory.
pub(crate) fn self_memory() -> Memory {
    pid_memory(std::process::id()).unwrap_or_default()
}

/// Nanoseconds on CPU of each live thread of `pid` (`/proc/<pid>/task/*/schedstat`, whose
/// first field is the thread's exact user+system run time).
fn thread_cpu_ns(pid: u32) -> Option<HashMap<u32, u64>> {
    let mut threads = HashMap::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let entry = entry.ok()?;
        let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        // A thread that exits between the listing and the read is simply skipped.
        if let Ok(schedstat) = std::fs::read_to_string(entry.path().join("schedstat"))
            && let Some(ns) = schedstat
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
        {
            threads.insert(tid, ns);
        }
    }
    Some(threads)
}

/// A CPU reading of another process taken now, to difference later.
///
/// `/proc/<pid>/stat` counts in 10 ms ticks, too coarse for short steps, so the difference is
/// taken from the threads' nanosecond counters when every thread seen at the start is still
/// alive at the end (threads started in between count in full); otherwise (a thread exited,
/// taking its counter with it) from the ticks, which include dead threads.
#[derive(Debug, Clone)]
pub(crate) struct PidCpu {
    pid: u32,
    start: Option<f64>,
    threads: Option<HashMap<u32, u64>>,
}

impl PidCpu {
    /// Reads `pid`'s CPU now; `None` pid gives a reading that always differences to `None`.
    pub(crate) fn start(pid: Option<u32>) -> Option<Self> {
        pid.map(|pid| PidCpu {
            pid,
            threads: thread_cpu_ns(pid),
            start: pid_cpu_s(pid),
        })
    }

    /// CPU seconds `pid` used since [`PidCpu::start`].
    pub(crate) fn elapsed(&self) -> Option<f64> {
        let ticks = pid_cpu_s(self.pid)? - self.start?;
        let precise = (|| {
            let before = self.threads.as_ref()?;
            let after = thread_cpu_ns(self.pid)?;
            let mut delta: u64 = 0;
            for (tid, ns) in &after {
                delta += ns.saturating_sub(before.get(tid).copied().unwrap_or(0));
            }
            before
                .keys()
                .all(|tid| after.contains_key(tid))
                .then_some(delta as f64 / 1e9)
        })();
        Some(precise.unwrap_or(ticks))
    }
}

/// Nearest-rank percentile of sorted samples, in milliseconds.
pub(crate) fn percentile_ms(sorted: &[Duration], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1].as_secs_f64() * 1e3)
}

/// Rounds for JSON output: `digits` decimals.
pub(crate) fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&samples, 0.5), Some(50.0));
        assert_eq!(percentile_ms(&samples, 0.99), Some(99.0));
        assert_eq!(percentile_ms(&samples[..1], 0.99), Some(1.0));
        assert_eq!(percentile_ms(&[], 0.5), None);
    }

    #[test]
    fn own_process_is_readable_both_ways() {
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert_ne!(x, 1);
        assert!(self_cpu_s() > 0.0);
        assert!(pid_cpu_s(std::process::id()).is_some());
        let reading = PidCpu::start(Some(std::process::id())).unwrap();
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(33).wrapping_add(i);
        }
        assert_ne!(x, 1);
        assert!(reading.elapsed().unwrap() > 0.0);
        let mem = self_memory();
        assert!(mem.rss_mb > 0.0 && mem.peak_mb >= mem.rss_mb);
    }
}
