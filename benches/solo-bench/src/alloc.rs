//! A counting global allocator: every process of the benchmark counts its heap allocations
//! (calls to `alloc`, `alloc_zeroed` and `realloc`) and the bytes they asked for, so that the
//! echo scenario can report allocations per activity next to CPU per activity.
//!
//! It also keeps the bytes live now (allocated and not yet freed), so the in-flight scenario can
//! report the heap each held activity costs, a figure the allocator's own reserve and the
//! kernel's page accounting (RSS) blur.
//!
//! The counters are relaxed atomics (one `fetch_add` per allocation and per free); the
//! allocation itself is the system allocator's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counted.
pub(crate) struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);

#[allow(unsafe_code)]
// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract `System` keeps is kept; the counters have no effect on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as it is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: `ptr` came from this allocator, that is from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        LIVE.fetch_add(new_size as u64, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with `layout`; the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Heap bytes allocated and not yet freed, now.
pub(crate) fn live_bytes() -> u64 {
    LIVE.load(Ordering::Relaxed)
}

/// Allocations and bytes allocated by this process so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Allocs {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    pub(crate) count: u64,
    /// Bytes they asked for.
    pub(crate) bytes: u64,
}

impl Allocs {
    /// The counters now.
    pub(crate) fn now() -> Self {
        Allocs {
            count: ALLOCATIONS.load(Ordering::Relaxed),
            bytes: BYTES.load(Ordering::Relaxed),
        }
    }

    /// What was allocated since `earlier`.
    pub(crate) fn since(self, earlier: Allocs) -> Allocs {
        Allocs {
            count: self.count.saturating_sub(earlier.count),
            bytes: self.bytes.saturating_sub(earlier.bytes),
        }
    }

    /// Adds `other`.
    pub(crate) fn add(&mut self, other: Allocs) {
        self.count += other.count;
        self.bytes += other.bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_are_counted() {
        let before = Allocs::now();
        let boxed = std::hint::black_box(Box::new([7u8; 100]));
        let after = Allocs::now().since(before);
        drop(boxed);
        assert!(after.count >= 1, "{after:?}");
        assert!(after.bytes >= 100, "{after:?}");
    }

    #[test]
    fn live_bytes_fall_when_memory_is_freed() {
        let big = std::hint::black_box(vec![1u8; 8 << 20]);
        let with = live_bytes();
        drop(big);
        let without = live_bytes();
        // Other tests allocate concurrently, but not 8 MiB at once.
        assert!(with >= without + (4 << 20), "{with} then {without}");
    }
}
